"""The full flow over SSH: playbooks/attest.yml against an approved, pinned test host.

Tests run in file order: the --check test comes last because it removes the cached probe image
first (with playbooks/cleanup.yml, over SSH), so --check is previewed on a host that lacks it.
"""

from __future__ import annotations

import json
import re
import tempfile
from pathlib import Path

import pytest
from conftest import (
    EPHEMERAL,
    PROBE_IMAGE_LABEL,
    PROJECT,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    inner,
    inner_state,
    record,
    run_playbook,
    runner_identity,
)

READY = "SANDBOX_ATTESTED_READY"
PARTIAL = "SANDBOX_ATTESTATION_PARTIAL"


@pytest.fixture
def bundle(name) -> Path:
    bundles = sorted((EPHEMERAL / "evidence" / name).iterdir())
    assert len(bundles) == 1, bundles
    return bundles[0]


def verify(bundle: Path, inventory: Path | str, dest: Path) -> dict:
    proc = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e",
                        json.dumps({"sandbox_attest_bundle": str(bundle),
                                    "sandbox_attest_verification_dest": str(dest)}),
                        inventory=inventory)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads((dest / "verdict.json").read_text())


def test_decoys_unchanged_and_running(host, decoys_recorded):
    assert_decoys_unchanged(host, decoys_recorded)


def test_nothing_of_the_run_left_inside_the_host(host, decoys_recorded, bundle):
    state = assert_nothing_of_a_run_left(host, decoys_recorded)
    probe_images = inner(host, "image", "ls", "--quiet", "--no-trunc", "--filter",
                         "label=%s" % PROBE_IMAGE_LABEL).split()
    run = json.loads((bundle / "run.json").read_text())
    assert probe_images == [run["image_id"]]  # the cache, kept by design
    assert state["images"] - {run["image_id"]} == {decoys_recorded["images"][0]["Id"]}


def test_the_bundle_came_over_ssh_from_the_test_host(bundle, pinned, name):
    venue = json.loads((bundle / "venue.json").read_text())
    runner = runner_identity()
    assert venue["fingerprint"] == pinned["fingerprint"]
    assert venue["engine_id"] == pinned["engine_id"]
    assert venue["fingerprint"] != runner["fingerprint"]
    assert venue["engine_id"] != runner["engine_id"]
    run = json.loads((bundle / "run.json").read_text())
    assert run["inventory_hostname"] == name and run["producer"]["path"] == "automated"
    # The test hosts' engines use vfs (their recipe); the runner's engine does not.
    facts = json.loads((bundle / "engine" / "facts.json").read_text())
    assert facts["engine_id"] == pinned["engine_id"] and facts["storage_driver"] == "vfs"
    record(run_id=run["run_id"], bundle_fingerprint=venue["fingerprint"],
           bundle_storage_driver=facts["storage_driver"],
           bundle_engine_id=venue["engine_id"], pinned_fingerprint=pinned["fingerprint"],
           runner_fingerprint=runner["fingerprint"], runner_engine_id=runner["engine_id"])


def test_the_bundle_verified_ready_during_the_run(bundle, name):
    verdict = json.loads((bundle / "verification" / "verdict.json").read_text())
    assert verdict["status"] == READY, verdict["reasons"]
    assert verdict["gate"]["state"] == "UNBLOCKED"
    assert verdict["bundle"]["host"] == name
    assert {row["result"] for row in verdict["rows"]} == {"PASS"}
    record(status_during_run=verdict["status"], gate_during_run=verdict["gate"]["state"],
           rows={str(row["row"]): row["result"] for row in verdict["rows"]})


def test_the_verifier_says_ready_on_the_pinned_host(bundle, tmp_path):
    verdict = verify(bundle, EPHEMERAL / "inventory", tmp_path / "approved")
    assert verdict["status"] == READY, verdict["reasons"]
    assert verdict["reasons"] == []
    record(status_verify_yml_pinned=verdict["status"])


def test_the_verifier_says_partial_when_the_host_is_a_rehearsal_venue(bundle, name, tmp_path):
    # verify.yml connects to no host: the inventory only says what the venue is.
    inventory = tmp_path / "rehearsal.yml"
    inventory.write_text("rehearsal_venues:\n  hosts:\n    %s:\n" % name)
    verdict = verify(bundle, inventory, tmp_path / "rehearsal")
    assert verdict["status"] == PARTIAL
    assert verdict["gate"]["state"] == "BLOCKED"
    assert any("rehearsal" in reason for reason in verdict["reasons"]), verdict["reasons"]
    record(status_verify_yml_rehearsal=verdict["status"], rehearsal_reasons=verdict["reasons"])


def test_check_over_ssh_creates_nothing(host, decoys_recorded, name):
    # Make the host like a fresh one: remove the cached probe image (over SSH, by the playbook).
    proc = run_playbook(PROJECT / "playbooks" / "cleanup.yml", "-e",
                        '{"sandbox_attest_remove_image": true}')
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert inner(host, "image", "ls", "--quiet", "--filter", "label=%s" % PROBE_IMAGE_LABEL) == ""
    before = inner_state(host)
    bundles_before = sorted((EPHEMERAL / "evidence" / name).iterdir())
    with tempfile.TemporaryDirectory() as evidence:
        proc = run_playbook(PROJECT / "playbooks" / "attest.yml", "--check", "-e",
                            json.dumps({"sandbox_attest_evidence_root": evidence}))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert list(Path(evidence).iterdir()) == []
    after = inner_state(host)
    assert after == before
    assert sorted((EPHEMERAL / "evidence" / name).iterdir()) == bundles_before
    assert_decoys_unchanged(host, decoys_recorded)
    # The preview names what a real run would do: load the image, then the engine commands.
    output = " ".join(proc.stdout.split())
    assert re.search(r"image_load: docker load", output), output[-3000:]
    assert "engine_commands" in output and "--network none" in output
    record(check_mode_engine_unchanged=True,
           check_mode_objects={k: len(v) if v is not None else None
                               for k, v in before.items()})
