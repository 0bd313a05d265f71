"""The fleet summary through the real playbooks, on the controller only (no engine is used):
attest.yml where every host is refused or unreachable, and verify.yml over a directory of
bundles."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET

import evidence_builder as eb

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
    os.path.abspath(__file__)))))
LOCAL = "ansible_connection=local ansible_python_interpreter=%s" % sys.executable


def _playbook(tmp_path, name: str, inventory: str, *args: str) -> subprocess.CompletedProcess:
    (tmp_path / "hosts.ini").write_text(inventory)
    env = dict(os.environ, ANSIBLE_CONFIG=os.path.join(ROOT, "ansible.cfg"),
               ANSIBLE_HOME=str(tmp_path / "home"), ANSIBLE_LOCAL_TEMP=str(tmp_path / "tmp"),
               ANSIBLE_NOCOLOR="1")
    playbook = os.path.join(os.path.dirname(sys.executable), "ansible-playbook")
    return subprocess.run(
        [playbook, "-i", str(tmp_path / "hosts.ini"), os.path.join(ROOT, "playbooks", name),
         *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300, check=False)


def test_attest_writes_the_summary_when_every_host_is_refused_or_unreachable(tmp_path) -> None:
    # Hosts in no venue group are refused by the venue gate, on the controller, before any
    # connection; the rehearsal host's "ssh" is a script that fails as an unreachable host's
    # does (exit 255), so no packet is sent. Every host fails or is unreachable and Ansible has
    # no host left for a later play.
    ssh = tmp_path / "ssh"
    ssh.write_text("#!/bin/sh\necho 'ssh: connect to host gone port 22: Connection refused' >&2\n"
                   "exit 255\n")
    ssh.chmod(0o755)
    evidence = tmp_path / "evidence"
    proc = _playbook(tmp_path, "attest.yml",
                     "[approved_venues]\n[rehearsal_venues]\ngone ansible_connection=ssh "
                     "ansible_ssh_executable=%s ansible_host=gone.invalid\n"
                     "[others]\nstray1 %s\nstray2 %s "
                     "sandbox_attest_venue_fingerprint=sha256:ab\n" % (ssh, LOCAL, LOCAL),
                     "-e", "sandbox_attest_evidence_root=%s" % evidence)
    assert proc.returncode != 0, proc.stdout[-3000:]
    # The play ended with the refusals: no later task (nor a later play) ran for any host.
    assert "sandbox.attest.verify" not in proc.stdout.split("Refuse a host that is neither")[1]
    fleet = json.loads((evidence / "fleet" / "fleet.json").read_text())
    hosts = {h["host"]: h for h in fleet["hosts"]}
    assert sorted(hosts) == ["gone", "stray1", "stray2"]
    assert all(hosts[n]["outcome"] == "refused" and hosts[n]["status"] == "NOT_ATTESTED"
               and hosts[n]["venue_kind"] == "unlisted" for n in ("stray1", "stray2"))
    assert (hosts["gone"]["outcome"], hosts["gone"]["venue_kind"]) == ("unreachable", "rehearsal")
    assert "Connection refused" in hosts["gone"]["reasons"][0]
    assert "neither" in hosts["stray1"]["reasons"][0]
    assert hosts["stray2"]["pinned_fingerprint"] == "sha256:ab"
    suites = ET.parse(evidence / "fleet" / "junit.xml").getroot()  # noqa: S314 - ours
    assert [s.get("tests") for s in suites] == ["14", "14", "14"]
    assert "sandbox.attest fleet: 3 host(s), 0 READY" in proc.stdout


def test_verify_summarises_a_directory_of_bundles(tmp_path, probe_path, digests) -> None:
    returned = tmp_path / "returned"
    for run_id in ("20261128T223131Z-1a2b3c4d", "20261128T230000Z-5e6f7a8b"):
        root = returned / eb.HOST / run_id
        root.mkdir(parents=True)
        eb.write(eb.make_model(probe_path, *digests, run_id=run_id), str(root))
    proc = _playbook(tmp_path, "verify.yml", "[approved_venues]\n%s "
                     "sandbox_attest_venue_fingerprint=%s\n" % (eb.HOST, eb.FINGERPRINT),
                     "-e", "sandbox_attest_bundles=%s" % returned)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    fleet = json.loads((returned / "fleet" / "fleet.json").read_text())
    assert [h["host"] for h in fleet["hosts"]] == [
        "vps1/20261128T223131Z-1a2b3c4d", "vps1/20261128T230000Z-5e6f7a8b"]
    for host in fleet["hosts"]:
        # The builder's stand-in probe is not the shipped one: a real verdict, never READY.
        assert host["status"] not in ("SANDBOX_ATTESTED_READY", "NOT_ATTESTED")
        assert host["venue_kind"] == "approved" and host["pinned_fingerprint"] == eb.FINGERPRINT
        assert len(host["rows"]) == 14 and os.path.isfile(host["verdict"])
    assert "2 bundle(s), 0 READY" in proc.stdout


def test_verify_refuses_both_a_bundle_and_a_directory(tmp_path) -> None:
    proc = _playbook(tmp_path, "verify.yml", "localhost %s\n" % LOCAL,
                     "-e", "sandbox_attest_bundle=/a", "-e", "sandbox_attest_bundles=/b")
    assert proc.returncode != 0 and "or (not both) a directory of bundles" in proc.stdout
