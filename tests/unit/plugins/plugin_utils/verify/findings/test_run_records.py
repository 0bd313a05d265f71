"""Finding "run_records": result.json, fetch.json, the profile document and the settings are
recomputed from the run, and every departure fails (issue 12)."""

from __future__ import annotations

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._sandbox_run import recorded_commands
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._run_records import (
    engine_cli_problem,
)

RESULT = "identities/%s/result.json"


def _result(model: eb.EvidenceModel, identity: str = "workload") -> dict:
    return model.docs[RESULT % identity]


def _failed(verdict, check_id: str) -> None:
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_records", check_id), verdict.reasons


def test_the_builders_bundle_holds_the_runs_own_records(model, write_bundle, verify) -> None:
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    assert verdict.finding("run_records").outcome == "pass"


def test_a_network_connect_after_the_first_command(model, write_bundle, verify) -> None:
    _result(model)["commands"].insert(2, ["docker", "network", "connect", "bridge",
                                          _result(model)["container_id"]])
    _failed(verify(write_bundle(model)), "result_record")


def test_an_exec_into_another_container(model, write_bundle, verify) -> None:
    _result(model, "root")["commands"].append(["docker", "exec", "a" * 64, "sh"])
    _failed(verify(write_bundle(model)), "result_record")


def test_a_container_that_was_not_removed(model, write_bundle, verify) -> None:
    _result(model)["removed"] = False
    _failed(verify(write_bundle(model)), "result_record")


def test_a_timed_out_run_records_the_kill_and_second_wait() -> None:
    commands = recorded_commands(["docker", "create"], "c", timed_out=True)
    assert commands[3:5] == [["docker", "kill", "c"], ["docker", "wait", "c"]]


@pytest.mark.parametrize("field, value", [("user", "0:0"), ("timeout_s", 61),
                                          ("identity", "root"),
                                          ("container_name", "sandbox-attest-other")])
def test_a_result_field_the_run_does_not_imply(field, value, model, write_bundle,
                                               verify) -> None:
    _result(model)[field] = value
    assert verify(write_bundle(model)).status == STATUS_FAILED


def test_a_fetch_record_that_does_not_match_the_file(model, write_bundle, verify) -> None:
    model.docs["identities/root/fetch.json"]["copied"][0]["bytes"] += 1
    _failed(verify(write_bundle(model)), "fetch_record")


def test_a_profile_document_that_is_not_the_shipped_rendering(model, write_bundle,
                                                              verify) -> None:
    model.docs["profile/profile.json"]["tmpfs_tmp_options"].append("exec")
    _failed(verify(write_bundle(model)), "profile_record")


@pytest.mark.parametrize("cli, ok", [("docker", True), ("/usr/bin/docker", True),
                                     ("/usr/bin/../bin/docker", False), ("podman", False),
                                     ("/opt/x/docker ", False), ("relative/docker", False)])
def test_the_engine_cli_within_what_settings_allow(cli: str, ok: bool) -> None:
    assert (engine_cli_problem(cli) is None) == ok
