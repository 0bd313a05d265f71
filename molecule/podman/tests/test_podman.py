"""The roles with runtime podman over SSH (issue 18): a Podman test host (no Docker) ran both
identities' probe sets hardened, the bundle on the runner is the host's and says Podman, the
host's own Podman objects (prepare.yml's decoys) are unchanged, and nothing of the run is left.
The verifier judges the bundle: the pinned host is READY."""

from __future__ import annotations

import hashlib
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest
from conftest import (
    EPHEMERAL,
    INVENTORY,
    PROJECT,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    inner,
    inner_state,
    record,
    run_playbook,
    runner_identity,
)

UIDS = {"workload": 65532, "root": 0}


@pytest.fixture
def bundle(result, name) -> Path:
    evidence = result("evidence_result")
    path = Path(evidence["dest"])
    assert evidence["written"] is True and path.parent == EPHEMERAL / "evidence" / name
    return path


def read(bundle: Path, rel: str):
    return json.loads((bundle / rel).read_text())


def probe_lines(text: str) -> dict[str, dict]:
    return {line["probe"]: line for line in map(json.loads, text.splitlines()) if line}


def test_the_host_has_podman_and_no_docker(host):
    assert host.exists("podman") and not host.exists("docker") and not host.exists("dockerd")


def test_both_identities_ran_hardened_under_podman(result):
    runs = {entry["identity"]: entry["run"] for entry in result("sandbox_run_result")}
    assert set(runs) == set(UIDS)
    for identity, run in runs.items():
        assert run["exit_code"] == 0 and run["timed_out"] is False and run["removed"] is True
        assert run["argv"][:2] == ["podman", "create"] and "--read-only-tmpfs=false" in run["argv"]
        probes = probe_lines(run["stdout"])
        assert probes["END"]["count"] == 18 and probes["META"]["uid"] == UIDS[identity]
        assert probes["META"]["container_id"] == run["container_id"]
        inspect = run["inspect"][0]
        assert inspect["HostConfig"]["NetworkMode"] == "none"
        assert inspect["HostConfig"]["ReadonlyRootfs"] is True
        # What runtimes.podman models differently from Docker (docs/podman-facts.md section 4).
        assert probes["PR-NET-1"]["obs"][0]["errno"] == "ENOENT"
        environ = probes["PR-ENV-1"]["obs"][0]
        assert environ["values"]["container"] == "podman" and environ["values"]["TERM"] == "xterm"
        assert probes["PR-NETIF-1"]["obs"][0]["interfaces"] == ["lo"]
        assert probes["PR-CAPS-1"]["obs"][0]["CapEff"] == "0" * 16
        assert probes["PR-SECCOMP-1"]["obs"][0]["Seccomp"] == 2


def test_the_bundle_is_the_podman_hosts(bundle, pinned, name):
    manifest = read(bundle, "manifest.json")
    for rel, digest in manifest["files"].items():
        assert hashlib.sha256((bundle / rel).read_bytes()).hexdigest() == digest, rel
    run = read(bundle, "run.json")
    assert run["runtime"] == "podman" and run["inventory_hostname"] == name
    assert read(bundle, "profile/profile.json")["runtime"] == "podman"
    venue, facts = read(bundle, "venue.json"), read(bundle, "engine/facts.json")
    assert pinned["engine_id"].startswith("podman:")
    assert venue["fingerprint"] == pinned["fingerprint"] != runner_identity()["fingerprint"]
    assert facts["engine_id"] == venue["engine_id"] == pinned["engine_id"]
    assert pinned["machine_id"] not in (bundle / "venue.json").read_text()


def test_the_snapshots_are_podmans_and_show_the_decoys_unchanged(host, bundle, decoys_recorded):
    before, after = read(bundle, "snapshots/before.json"), read(bundle, "snapshots/after.json")
    decoy_ids = {c["Id"] for c in decoys_recorded["containers"]}
    for snapshot in (before, after):
        assert snapshot["runtime"] == "podman" and "pods" in snapshot
        assert decoy_ids <= {c["id"] for c in snapshot["containers"]}
    pick = {c["id"]: c for c in before["containers"] if c["id"] in decoy_ids}
    assert pick == {c["id"]: c for c in after["containers"] if c["id"] in decoy_ids}
    assert_decoys_unchanged(host, decoys_recorded)


def test_the_event_log_holds_the_runs_own_containers(bundle, result):
    events = [json.loads(line)
              for line in (bundle / "engine" / "events.jsonl").read_text().splitlines()]
    for entry in result("sandbox_run_result"):
        mine = {e["action"] for e in events if e["id"] == entry["run"]["container_id"]}
        assert {"create", "start", "remove"} <= mine, (entry["identity"], mine)
    assert all(e["command_sha256"] is None for e in events)  # Podman logs no exec command


def test_nothing_of_the_run_is_left(host, decoys_recorded):
    assert_nothing_of_a_run_left(host, decoys_recorded)
    assert inner(host, "ps", "--all", "--quiet", "--filter",
                 "label=sandbox.attest.run-id").strip() == ""


def test_the_pinned_podman_host_is_ready(bundle, tmp_path):
    # The verifier judges Podman's evidence (its inspect document and OCI spec, its events and
    # snapshots): the pinned Podman host is READY, every row PASS.
    dest = tmp_path / "verification"
    proc = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e",
                        json.dumps({"sandbox_attest_bundle": str(bundle),
                                    "sandbox_attest_verification_dest": str(dest)}),
                        inventory=INVENTORY)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    verdict = json.loads((dest / "verdict.json").read_text())
    assert verdict["status"] == "SANDBOX_ATTESTED_READY", verdict["reasons"]
    # The report names the runtime the venue was attested with.
    assert "podman / targeted-deny" in (dest / "report.md").read_text()
    assert {row["row"]: row["result"] for row in verdict["rows"]} == {
        row: "PASS" for row in range(24, 38)}
    record(podman_status=verdict["status"],
           podman_rows={row["row"]: row["result"] for row in verdict["rows"]})


def test_a_packet_run_on_the_podman_host_verifies_the_same_way(host, name, pinned, tmp_path):
    # The operator packet rendered for this venue (its runtime, pins and host key from the
    # scenario's inventory), run on the host as root, its bundle brought back and verified.
    dest = tmp_path / "packet"
    proc = run_playbook(PROJECT / "playbooks" / "packet.yml", "-e", json.dumps(
        {"sandbox_attest_venue": name, "sandbox_attest_packet_dest": str(dest)}))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [packet] = [p for p in dest.iterdir() if p.is_dir()]
    remote = "/tmp/sandbox-attest-packet-podman"  # noqa: S108 # on the test host, removed here
    host.run_expect([0], "rm -rf %s %s.out" % (remote, remote))
    _docker("cp", str(packet), "%s:%s" % (pinned["container_id"], remote))
    ran = host.run("sh %s/attest.sh %s.out" % (remote, remote))
    assert ran.rc == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    out = tmp_path / "bundle"
    _docker("cp", "%s:%s.out/%s" % (pinned["container_id"], remote, name), str(out))
    host.run_expect([0], "rm -rf %s %s.out" % (remote, remote))
    [bundle] = [p for p in out.iterdir() if p.is_dir()]
    run = json.loads((bundle / "run.json").read_text())
    assert run["runtime"] == "podman" and run["producer"]["path"] == "packet"
    verification = tmp_path / "verification"
    proc = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e", json.dumps(
        {"sandbox_attest_bundle": str(bundle),
         "sandbox_attest_verification_dest": str(verification)}), inventory=INVENTORY)
    assert proc.returncode == 0, proc.stdout[-3000:]
    verdict = json.loads((verification / "verdict.json").read_text())
    assert verdict["status"] == "SANDBOX_ATTESTED_READY", verdict["reasons"]
    assert {row["row"]: row["result"] for row in verdict["rows"]} == {
        row: "PASS" for row in range(24, 38)}
    record(podman_packet_status=verdict["status"])


def _docker(*argv: str) -> str:
    return subprocess.run(["docker", *argv], capture_output=True, text=True, check=True,
                          timeout=120).stdout


def test_check_and_cleanup_over_ssh_take_the_runtime(host, decoys_recorded, name):
    # Last: it removes the cached probe image (playbooks/cleanup.yml with the host's runtime),
    # so that --check previews a host that lacks it.
    proc = run_playbook(PROJECT / "playbooks" / "cleanup.yml", "-e",
                        json.dumps({"sandbox_attest_remove_image": True}))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert inner(host, "image", "ls", "--quiet", "--filter",
                 "label=sandbox.attest.probe-image") == ""
    before = inner_state(host)
    bundles_before = sorted((EPHEMERAL / "evidence" / name).iterdir())
    with tempfile.TemporaryDirectory() as evidence:
        proc = run_playbook(PROJECT / "playbooks" / "attest.yml", "--check", "-e", json.dumps(
            {"sandbox_attest_evidence_root": evidence}))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        assert list(Path(evidence).iterdir()) == []
    assert inner_state(host) == before
    assert sorted((EPHEMERAL / "evidence" / name).iterdir()) == bundles_before
    assert_decoys_unchanged(host, decoys_recorded)
    # The preview names Podman's commands: its load, and its create with the profile.
    output = " ".join(proc.stdout.split())
    assert re.search(r"image_load: podman load", output), output[-3000:]
    assert "podman create" in output and "--read-only-tmpfs=false" in output
