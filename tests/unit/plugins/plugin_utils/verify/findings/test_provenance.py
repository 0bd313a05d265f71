"""Finding "provenance": one container, image, probe and engine; the shipped ones."""

from __future__ import annotations

import os

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._provenance import (
    Shipped,
    shipped_artifacts,
)


def test_shipped_artifacts_come_from_the_probe_image_module(probe_path, digests) -> None:
    shipped, problem = shipped_artifacts(probe_path)
    assert problem is None and shipped is not None
    assert (shipped.image_id, shipped.probe_sha256) == digests


def test_unbuilt_probe_makes_provenance_missing(bundle, verify, tmp_path) -> None:
    verdict = verify(bundle, probe_path=str(tmp_path / "no-such-probe"))
    assert verdict.status == STATUS_PARTIAL
    assert verdict.finding("provenance").outcome == "missing"
    assert any("cannot be read" in reason for reason in verdict.reasons)


def test_an_image_not_shipped_is_failed(bundle, verify) -> None:
    shipped = Shipped("sha256:" + "9" * 64, "8" * 64, "elsewhere")
    verdict = verify(bundle, shipped=shipped)
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "provenance", "image_shipped")
    assert eb.check_failed(verdict, "provenance", "probe_shipped")


def test_a_consistent_foreign_probe_is_failed(tmp_path, write_bundle, verify,
                                              probe_image_module) -> None:
    # Everything agrees with everything, but the probe is not the one this collection ships.
    foreign = tmp_path / "foreign-probe"
    foreign.write_bytes(b"a probe that always reports EPERM\n")
    model = eb.make_model(str(foreign), probe_image_module.probe_image_id(str(foreign)),
                          probe_image_module.probe_sha256(str(foreign)))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert verdict.failed_finding_names() == ["provenance"]


def test_container_id_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.probe("root", "META")["container_id"] = "f" * 64
    verdict = verify(write_bundle(model))
    assert eb.check_failed(verdict, "provenance", "container_id")


def test_probe_sha_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.probe("workload", "META")["exe_sha256"] = "e" * 64
    assert eb.check_failed(verify(write_bundle(model)), "provenance", "probe_sha256")


def test_engine_id_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.docs["engine/facts.json"]["engine_id"] = "OTHER:ENGINE"
    assert eb.check_failed(verify(write_bundle(model)), "provenance", "engine_id")


def test_image_in_argv_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.docs["identities/root/argv.json"][-1] = "sandbox-attest/probe:latest"
    assert eb.check_failed(verify(write_bundle(model)), "provenance", "image_id")


def test_probe_could_not_read_its_container_id(model, write_bundle, verify) -> None:
    model.probe("root", "META")["container_id"] = None
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert verdict.finding("provenance").outcome == "missing"


def test_clean_bundle_provenance(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY
    assert verdict.context["shipped"]["image_id"] == verdict.context["image_id"]
    assert os.path.basename(verdict.context["shipped"]["source"]) == "sandbox-probe"
