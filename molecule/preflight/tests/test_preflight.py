"""Preflight over SSH: each host's own identity, read-only, and the fingerprint gate."""

from __future__ import annotations

import json

from conftest import (
    RUN_ID,
    STATE,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    inner,
    record,
    run_playbook,
    runner_identity,
)


def test_hosts_from_one_image_each_have_their_own_identity():
    hosts = json.loads((STATE / "hosts.json").read_text())
    assert len(hosts) == 2
    for key in ("machine_id", "engine_id", "host_key", "fingerprint", "port"):
        assert len({h[key] for h in hosts}) == 2, key
    runner = runner_identity()
    assert runner["fingerprint"] not in {h["fingerprint"] for h in hosts}
    record(hosts={h["name"]: {"fingerprint": h["fingerprint"], "engine_id": h["engine_id"]}
                  for h in hosts}, runner=runner)


def test_preflight_saw_the_test_host_not_the_runner(result, pinned):
    preflight = result("preflight_result")
    runner = runner_identity()
    assert preflight["venue_kind"] == "approved"
    assert RUN_ID.match(preflight["run_id"])
    # Computed by preflight over SSH, equal to what the console shows, unlike the runner's.
    assert preflight["fingerprint"] == pinned["fingerprint"] == preflight["pinned_fingerprint"]
    assert preflight["engine_id"] == pinned["engine_id"]
    assert preflight["fingerprint"] != runner["fingerprint"]
    assert preflight["engine_id"] != runner["engine_id"]


def test_snapshot_lists_the_decoys_and_no_leftovers(result, decoys_recorded):
    preflight = result("preflight_result")
    snapshot = json.loads(preflight["snapshot_before"])  # engine_snapshot's snapshot_json
    assert {c["id"] for c in snapshot["containers"]} == {
        c["Id"] for c in decoys_recorded["containers"]}
    assert "decoy-net" in {n["name"] for n in snapshot["networks"]}
    assert preflight["leftovers"] == [] and preflight["leftover_run_ids"] == []


def test_preflight_created_nothing(host, decoys_recorded):
    assert_decoys_unchanged(host, decoys_recorded)
    state = assert_nothing_of_a_run_left(host, decoys_recorded)
    assert state["run_root"] is None
    assert inner(host, "image", "ls", "--quiet", "--filter",
                 "label=sandbox.attest.probe-image") == ""


def test_a_changed_pin_is_refused_before_anything_is_created(host, decoys_recorded):
    wrong = "sha256:" + "0" * 64
    proc = run_playbook("molecule/preflight/converge.yml", "-e",
                        '{"sandbox_attest_venue_fingerprint": "%s"}' % wrong,
                        "--skip-tags", "molecule-idempotence-notest")
    assert proc.returncode != 0
    output = " ".join((proc.stdout + proc.stderr).split())
    assert "this is not the approved venue" in output
    assert wrong in output
    assert_decoys_unchanged(host, decoys_recorded)
    assert_nothing_of_a_run_left(host, decoys_recorded)
