"""evidence over SSH: the bundle on the runner describes the test host, intact and complete."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from conftest import EPHEMERAL, assert_decoys_unchanged, runner_identity


@pytest.fixture
def bundle(result, name) -> Path:
    evidence = result("evidence_result")
    path = Path(evidence["dest"])
    assert evidence["written"] is True
    assert path.parent == EPHEMERAL / "evidence" / name
    assert path.name == result("preflight_result")["run_id"]
    return path


def read(bundle: Path, rel: str):
    return json.loads((bundle / rel).read_text())


def test_the_manifest_covers_every_file_and_holds(bundle):
    manifest = read(bundle, "manifest.json")
    files = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert set(manifest["files"]) == files - {"manifest.json"}
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / rel).read_bytes()).hexdigest() == digest, rel


def test_the_bundle_is_the_test_hosts(bundle, pinned, name):
    venue = read(bundle, "venue.json")
    runner = runner_identity()
    assert venue["fingerprint"] == pinned["fingerprint"] != runner["fingerprint"]
    assert venue["engine_id"] == pinned["engine_id"] != runner["engine_id"]
    assert read(bundle, "engine/facts.json")["engine_id"] == pinned["engine_id"]
    run = read(bundle, "run.json")
    assert run["inventory_hostname"] == name and run["producer"]["path"] == "automated"
    assert pinned["machine_id"] not in (bundle / "venue.json").read_text()


def test_the_probe_output_is_verbatim(bundle, result):
    for entry in result("sandbox_run_result"):
        identity = entry["identity"]
        assert (bundle / "identities" / identity / "probe.jsonl").read_text() == \
            entry["run"]["stdout"]
        assert read(bundle, "identities/%s/inspect.json" % identity) == entry["run"]["inspect"]


def test_the_snapshots_show_the_decoys_unchanged(host, bundle, decoys_recorded):
    before, after = read(bundle, "snapshots/before.json"), read(bundle, "snapshots/after.json")
    decoy_ids = {c["Id"] for c in decoys_recorded["containers"]}
    for snapshot in (before, after):
        assert decoy_ids <= {c["id"] for c in snapshot["containers"]}
    pick = {c["id"]: c for c in before["containers"] if c["id"] in decoy_ids}
    assert pick == {c["id"]: c for c in after["containers"] if c["id"] in decoy_ids}
    assert [c for c in after["containers"] if c["run_id"]] == []
    assert_decoys_unchanged(host, decoys_recorded)


def test_the_event_log_is_scrubbed(bundle):
    lines = (bundle / "engine" / "events.jsonl").read_text().splitlines()
    assert lines, "the run window has the run's own events"
    for line in lines:
        event = json.loads(line)
        # Only these keys; an exec's command is only ever its digest (64 hex), never its text.
        assert set(event) <= {"time_nano", "type", "action", "id", "name", "container",
                              "exec_id", "command_sha256"}
        assert ":" not in event["action"]
        digest = event.get("command_sha256")
        assert digest is None or (len(digest) == 64 and set(digest) <= set("0123456789abcdef"))


def test_the_venue_signed_the_bundle_with_its_pinned_host_key(bundle, result, pinned):
    """Issue 17: the role's default pin is the inventory's sandbox_attest_venue_host_key."""
    evidence = result("evidence_result")
    assert evidence["signed"] is True and not evidence["unsigned_reason"]
    statement = read(bundle, "signature/statement.json")
    assert statement["host_key"] == pinned["host_key"]
    stated = {p.relative_to(bundle).as_posix() for p in bundle.rglob("*") if p.is_file()}
    assert set(statement["files"]) == stated - {
        "manifest.json", "signature/statement.json", "signature/statement.json.sig"}
    for rel, digest in statement["files"].items():
        assert hashlib.sha256((bundle / rel).read_bytes()).hexdigest() == digest, rel
