"""Finding "engine_facts": an engine the expectations data does not model is never READY."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._engine_facts import (
    REASON_NOT_MODELLED,
)

FACTS = "engine/facts.json"


@pytest.mark.parametrize("field, value", [
    ("cgroup_version", "3"), ("architecture", "riscv64"), ("cgroup_driver", "other")])
def test_a_fact_the_data_does_not_model_is_partial(field, value, model, write_bundle,
                                                   verify) -> None:
    model.docs[FACTS][field] = value
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any(reason.startswith(REASON_NOT_MODELLED) for reason in verdict.reasons)


def test_a_security_option_the_data_does_not_model(model, write_bundle, verify) -> None:
    model.docs[FACTS]["security_options"].append("name=rootless")
    assert verify(write_bundle(model)).status == STATUS_PARTIAL


def test_known_security_modules_are_modelled(model, write_bundle, verify) -> None:
    model.docs[FACTS]["security_options"] += ["name=userns", "name=cgroupns"]
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons


@pytest.mark.parametrize("options", [[], ["name=seccomp,profile=default"] * 2])
def test_an_engine_without_seccomp_once_fails(options, model, write_bundle, verify) -> None:
    model.docs[FACTS]["security_options"] = options
    assert verify(write_bundle(model)).status == STATUS_FAILED


@pytest.mark.parametrize("field, value", [("default_runtime", "runsc"), ("api_version", "1.99")])
def test_an_api_version_or_runtime_the_data_does_not_model_is_partial_once(
        field, value, model, write_bundle, verify) -> None:
    """Judged by one finding, inspect_fields, whose data is keyed by them: one reason."""
    model.docs[FACTS][field] = value
    if field == "default_runtime":
        # A consistent bundle: the containers ran on the engine's default runtime.
        for identity in ("workload", "root"):
            model.inspect(identity)["HostConfig"]["Runtime"] = value
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    [reason] = verdict.reasons
    assert reason.startswith(REASON_NOT_MODELLED) and value in reason
