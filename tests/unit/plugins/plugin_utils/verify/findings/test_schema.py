"""Finding "schema": malformed input is a finding, never a crash."""

from __future__ import annotations

import json
import os

import evidence_builder as eb
import jsonschema
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import load_schema
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import SANDBOX_TMP
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import STATUS_FAILED


def test_the_schema_is_valid_2020_12() -> None:
    schema = load_schema().document
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"].endswith("evidence-bundle-v1.schema.json")
    jsonschema.Draft202012Validator.check_schema(schema)


def test_a_clean_bundle_conforms(bundle, verify) -> None:
    assert verify(bundle).finding("schema").outcome == "pass"


MALFORMED = {
    "run.json": b"{not json",
    "venue.json": b"[]",
    "engine/facts.json": b"42",
    "identities/workload/inspect.json": b'{"Id": "x"}',
    "identities/root/inspect.json": b"[]",
    "identities/workload/probe.jsonl": b'{"probe":"META"}\nnot json\n',
    "identities/root/probe.jsonl": b"\x00\xff\xfe",
    "identities/workload/result.json": b'{"format": "one"}',
    "snapshots/before.json": b'{"format": 1}',
    "engine/events.jsonl": b'{"time_nano": "soon"}\n',
    "profile/seccomp.json": b'"unconfined"',
    "identities/root/fetch.json": b"null",
}


@pytest.mark.parametrize("path", sorted(MALFORMED))
def test_malformed_file_is_a_schema_finding(path, bundle, verify, tmp_path) -> None:
    with open(os.path.join(bundle, path), "wb") as handle:
        handle.write(MALFORMED[path])
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert "schema" in verdict.failed_finding_names()
    assert any(path in c.message for c in verdict.finding("schema").not_passed())


def test_wrong_types_inside_inspect_do_not_crash(model, write_bundle, verify) -> None:
    host = model.inspect("workload")["HostConfig"]
    host.update(CapDrop="ALL", SecurityOpt={"seccomp": 1}, Tmpfs=[SANDBOX_TMP], PidsLimit="64",
                Mounts="none", Dns=7, CpuPeriod="x", NanoCpus=0)
    model.inspect("workload")["Config"]["Env"] = "PATH=/bin"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert {"schema", "profile"} <= set(verdict.failed_finding_names())
    assert not [c for f in verdict.findings for c in f.checks if c.id == "internal"]


def test_wrong_types_in_probe_output_do_not_crash(model, write_bundle, verify) -> None:
    line = model.probe("root", "PR-CAPS-1")
    line["obs"][0].update(ret="0", CapEff=None)
    model.probe("workload", "PR-NETIF-1")["obs"] = "lo"
    model.probes["root"].append(["not", "an", "object"])
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert not [c for f in verdict.findings for c in f.checks if c.id == "internal"]


def test_unknown_identity_directory(model, write_bundle, verify) -> None:
    model.docs["identities/admin/result.json"] = {"format": 1}
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert "schema" in verdict.failed_finding_names()


def test_empty_directory_is_failed(tmp_path, verify) -> None:
    verdict = verify(str(tmp_path))
    assert verdict.status == STATUS_FAILED
    assert {"schema", "integrity"} <= set(verdict.failed_finding_names())


def test_schema_errors_name_their_file(model, write_bundle, verify) -> None:
    model.docs["run.json"]["image_id"] = "latest"
    messages = [c.message for c in verify(write_bundle(model)).finding("schema").not_passed()]
    assert any(m.startswith("schema: run.json/image_id") for m in messages), messages
    json.dumps(messages)


@pytest.mark.parametrize("path", [
    "run.json", "venue.json", "engine/facts.json", "profile/profile.json",
    "snapshots/after.json", "identities/root/result.json", "identities/workload/fetch.json"])
def test_a_field_the_format_does_not_name_is_a_finding(path: str, model, write_bundle,
                                                       verify) -> None:
    # Closed world (issue 12): the run's own records hold exactly the fields of the format.
    model.docs[path]["note"] = "ignored?"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert any("'note' was unexpected" in c.message for c in verdict.finding("schema").checks)
