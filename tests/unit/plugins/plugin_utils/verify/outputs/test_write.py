"""The five outputs: verdict.json, report.md, two in-toto Statements, junit.xml."""

from __future__ import annotations

import hashlib
import json
import os
import xml.etree.ElementTree as ET

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    OUTPUT_NAMES,
    write_outputs,
)


def _load(paths, name):
    with open(paths[name], encoding="utf-8") as handle:
        return json.load(handle) if name.endswith(".json") else handle.read()


def test_outputs_land_in_verification_and_do_not_disturb_integrity(bundle, verify) -> None:
    paths = write_outputs(verify(bundle), bundle)
    assert sorted(paths) == sorted(OUTPUT_NAMES)
    assert all(os.path.dirname(p) == os.path.join(bundle, "verification") for p in paths.values())
    assert verify(bundle).status == "SANDBOX_ATTESTED_READY"


def test_verdict_json(bundle, verify) -> None:
    paths = write_outputs(verify(bundle, rehearsal=["vps1"]), bundle)
    verdict = _load(paths, "verdict.json")
    assert verdict["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert verdict["gate"] == {"name": "B4′", "state": "BLOCKED"}
    assert verdict["reasons"] == ["rehearsal venue"]
    assert [row["row"] for row in verdict["rows"]] == list(range(24, 38))
    assert verdict["meaning_sources"]["seed"] == [27]
    assert {f["name"] for f in verdict["findings"]} == {
        "schema", "integrity", "provenance", "venue", "profile", "inspect_fields", "probes",
        "cross_checks", "non_mutation", "run_records", "run_times", "run_events",
        "engine_facts", "signature"}


def test_statement_subjects_are_the_bundle_files(bundle, verify) -> None:
    paths = write_outputs(verify(bundle), bundle)
    statement = _load(paths, "statement.intoto.json")
    assert statement["_type"] == "https://in-toto.io/Statement/v1"
    assert statement["predicateType"].endswith("/sandbox-attestation/v1")
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert "manifest.json" in subjects and "identities/root/out/ok" in subjects
    assert not any(name.startswith("verification/") for name in subjects)
    for name, digest in subjects.items():
        with open(os.path.join(bundle, name), "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == digest
    predicate = statement["predicate"]
    assert predicate["status"] == "SANDBOX_ATTESTED_READY"
    assert len(predicate["matrix"]) == 14


def test_vsa(bundle, verify) -> None:
    paths = write_outputs(verify(bundle), bundle)
    vsa = _load(paths, "vsa.intoto.json")
    assert vsa["predicateType"] == "https://slsa.dev/verification_summary/v1"
    predicate = vsa["predicate"]
    for key in ("verifier", "timeVerified", "resourceUri", "policy", "verificationResult",
                "verifiedLevels"):
        assert key in predicate
    assert predicate["verificationResult"] == "PASSED"
    assert predicate["verifiedLevels"] == ["SANDBOX_ATTESTED_READY"]
    failed = _load(write_outputs(verify(bundle, rehearsal=["vps1"]), bundle), "vsa.intoto.json")
    assert failed["predicate"]["verificationResult"] == "FAILED"
    assert failed["predicate"]["verifiedLevels"] == ["FAILED"]


def test_junit_one_case_per_row(model, write_bundle, verify) -> None:
    model.observation("root", "PR-EXEC-1", "execve").update(ret=0, errno=None)
    bundle = write_bundle(model)
    paths = write_outputs(verify(bundle), bundle)
    # Our own output, just written: not untrusted XML.
    suite = ET.parse(paths["junit.xml"]).getroot().find("testsuite")  # noqa: S314
    cases = suite.findall("testcase")
    assert len(cases) == 14
    failed = [c.get("name") for c in cases if c.find("failure") is not None]
    assert failed == ["#33 no exec from scratch space (project meaning)"]
    assert suite.get("failures") == "1"


def test_report_sections(model, write_bundle, verify) -> None:
    model.observation("workload", "PR-FS-ESC-1", "open_write").update(ret=3, errno=None)
    bundle = write_bundle(model)
    report = _load(write_outputs(verify(bundle), bundle), "report.md")
    for heading in ("## What blocks the gate", "## Which path produced the bundle", "## Venue",
                    "## Matrix #24–#37", "## Probes", "## Static checks", "## Integrity",
                    "## Provenance", "## Non-mutation", "### As workload", "### As root"):
        assert heading in report, heading
    assert "**#30 root filesystem read-only** (FAIL): Run with --read-only." in report
    assert "automated path" in report
    assert "| PR-FS-ESC-1 | open_write /.probe-write: EROFS |" in report


def test_a_planted_link_at_verification_is_replaced_not_followed(bundle, verify,
                                                                 tmp_path) -> None:
    target = tmp_path / "elsewhere"
    target.mkdir()
    os.symlink(str(target), os.path.join(bundle, "verification"))
    verdict = verify(bundle)
    write_outputs(verdict, bundle)
    assert not os.path.islink(os.path.join(bundle, "verification"))
    assert os.listdir(target) == []


def test_a_planted_link_at_an_output_name_is_replaced(bundle, verify, tmp_path) -> None:
    victim = tmp_path / "victim"
    victim.write_text("keep", encoding="utf-8")
    os.makedirs(os.path.join(bundle, "verification"))
    os.symlink(str(victim), os.path.join(bundle, "verification", "report.md"))
    write_outputs(verify(bundle), bundle)
    assert victim.read_text(encoding="utf-8") == "keep"
    assert not os.path.islink(os.path.join(bundle, "verification", "report.md"))


def test_only_the_outputs_are_written(bundle, verify, tmp_path) -> None:
    before = sorted(os.listdir(bundle))
    dest = tmp_path / "dest"
    write_outputs(verify(bundle), bundle, str(dest))
    assert sorted(os.listdir(bundle)) == before
    assert sorted(os.listdir(dest)) == sorted(OUTPUT_NAMES)
