"""Issue 17 on a real venue: the evidence is signed with the test host's SSH host key, on both
paths, and checked against the pin create.yml read through the console.

- The automated bundle (converge, over SSH) is signed by the pinned key and verifies READY.
- One byte changed anywhere in it, the manifest recomputed: FAILED, for every file.
- Signed on the test host with a key that is not its host key, or verified against another
  pin: not READY (another test host's host key: molecule/fleet).
- The operator packet, rendered with the pin and run on the test host as root: its bundle is
  signed and verifies READY through verify.yml; edited, it is FAILED.
- A bundle of the same host run as a rehearsal (packet without a pin: unsigned) relabelled
  with the approved host's name: not READY.

Every file edit is verified in-process by the collection's verifier (fast enough to edit every
file); verify.yml runs on the signed bundles themselves.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EPHEMERAL, PROJECT, record, run_playbook

sys.path.insert(0, str(PROJECT / "collections"))

# pylint: disable=wrong-import-position
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier import (
    Options,
    verify_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    parse_venues,
)

READY = "SANDBOX_ATTESTED_READY"
FAILED = "SANDBOX_ATTESTATION_FAILED"
STATEMENT = "signature/statement.json"
SIGNATURE = STATEMENT + ".sig"
NAMESPACE = "sandbox-attest-evidence-v1@sandbox.attest"


def _venues(name: str, pinned: dict, host_key: str | None = None):
    return parse_venues({name: {"fingerprint": pinned["fingerprint"],
                                "engine_id": pinned["engine_id"],
                                "host_key": host_key or pinned["host_key"]}}, [])


def _verify(bundle: Path, name: str, pinned: dict, host_key: str | None = None):
    return verify_bundle(str(bundle), Options(venues=_venues(name, pinned, host_key), host=name))


def _manifest(root: Path) -> None:
    """Recompute manifest.json over every file, as anyone holding the bundle can."""
    files = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_file() and rel != "manifest.json" and not rel.startswith("verification/"):
            files[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    (root / "manifest.json").write_text(json.dumps(
        {"format": 2, "algorithm": "sha256", "files": files}, indent=2) + "\n")


def _copy(bundle: Path, dest: Path) -> Path:
    shutil.copytree(bundle, dest, ignore=shutil.ignore_patterns("verification"))
    return dest


def _evidence_files(bundle: Path) -> list[str]:
    return sorted(p.relative_to(bundle).as_posix() for p in bundle.rglob("*")
                  if p.is_file() and p.relative_to(bundle).parts[0] != "verification"
                  and p.name != "manifest.json")


def _every_byte_edit_fails(bundle: Path, name: str, pinned: dict, tmp_path: Path) -> int:
    cases = 0
    for rel in _evidence_files(bundle):
        edited = _copy(bundle, tmp_path / ("edit%d" % cases))
        target = edited / rel
        data = bytearray(target.read_bytes())
        if not data:
            shutil.rmtree(edited)
            continue
        data[len(data) // 2] ^= 0x01
        target.write_bytes(bytes(data))
        _manifest(edited)
        verdict = _verify(edited, name, pinned)
        assert verdict.status == FAILED, (rel, verdict.reasons)
        shutil.rmtree(edited)
        cases += 1
    return cases


def _docker(*argv: str) -> str:
    return subprocess.run(["docker", *argv], capture_output=True, text=True, check=True,
                          timeout=300).stdout


@pytest.fixture
def automated(name) -> Path:
    [bundle] = sorted((EPHEMERAL / "evidence" / name).iterdir())[:1]
    return bundle


def test_the_automated_bundle_is_signed_by_the_pinned_host_key(automated, name, pinned):
    statement = json.loads((automated / STATEMENT).read_text())
    assert statement["host_key"] == pinned["host_key"]
    assert statement["unsigned_reason"] is None
    assert (automated / SIGNATURE).read_bytes().startswith(b"-----BEGIN SSH SIGNATURE-----")
    # The venue stated every file but the manifest and the signature; byte for byte.
    assert sorted(statement["files"]) == [p for p in _evidence_files(automated)
                                          if not p.startswith("signature/")]
    for rel, digest in statement["files"].items():
        assert hashlib.sha256((automated / rel).read_bytes()).hexdigest() == digest, rel
    verdict = _verify(automated, name, pinned)
    assert verdict.status == READY, verdict.reasons
    assert verdict.finding("signature").extra["verified"] is True
    during_run = json.loads((automated / "verification" / "verdict.json").read_text())
    assert during_run["status"] == READY
    record(automated_signed=True, automated_statement_files=len(statement["files"]),
           automated_status=verdict.status)


def test_one_byte_changed_anywhere_in_the_automated_bundle_is_failed(automated, name, pinned,
                                                                     tmp_path):
    cases = _every_byte_edit_fails(automated, name, pinned, tmp_path)
    assert cases >= 15
    record(automated_byte_edits_failed=cases)


def test_another_key_of_the_test_host_is_not_ready(host, automated, name, pinned, tmp_path):
    # The statement signed on the test host as root with a key that is not its pinned host key
    # (made there for this test; the scenario's hosts have one host key each). A bundle signed
    # by another test host's host key: molecule/fleet.
    edited = _copy(automated, tmp_path / "other-key")
    remote = "/tmp/sandbox-attest-other-key"  # noqa: S108 # on the test host, made and removed here
    host.run_expect([0], "rm -rf %s && install -d -m 0700 %s && ssh-keygen -q -t ed25519 -N '' "
                    "-f %s/key" % (remote, remote, remote))
    _docker("cp", str(edited / STATEMENT), "%s:%s/statement.json" % (pinned["container_id"],
                                                                     remote))
    signed = host.run_expect([0], "ssh-keygen -Y sign -q -f %s/key -n %s < %s/statement.json"
                             % (remote, NAMESPACE, remote))
    other_pin = " ".join(host.check_output("cat %s/key.pub" % remote).split()[:2])
    host.run_expect([0], "rm -rf " + remote)
    (edited / SIGNATURE).write_text(signed.stdout)
    _manifest(edited)
    verdict = _verify(edited, name, pinned)
    assert verdict.status == FAILED, verdict.reasons
    assert "venue signature does not verify with the pinned host key" in verdict.reasons
    # The genuine bundle checked against another pin: not READY either.
    other = _verify(automated, name, pinned, host_key=other_pin)
    assert other.status == FAILED, other.reasons
    record(other_key_status=verdict.status, other_pin_status=other.status)


def _run_packet(host, name: str, pinned: dict, tmp_path: Path, venue: str,
                inventory: Path | None) -> Path:
    """Render the packet for `venue` (its pin from `inventory`), run it on the test host as
    root, and bring its bundle back."""
    dest = tmp_path / ("packet-" + venue)
    args = ["-e", json.dumps({"sandbox_attest_venue": venue,
                              "sandbox_attest_packet_dest": str(dest)})]
    proc = run_playbook(PROJECT / "playbooks" / "packet.yml", *args,
                        **({"inventory": inventory} if inventory else {}))
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    [packet] = [p for p in dest.iterdir() if p.is_dir()]
    remote = "/tmp/sandbox-attest-packet-" + venue  # noqa: S108 # on the test host, removed here
    host.run_expect([0], "rm -rf %s %s.out" % (remote, remote))
    _docker("cp", str(packet), "%s:%s" % (pinned["container_id"], remote))
    ran = host.run("sh %s/attest.sh %s.out" % (remote, remote))
    assert ran.rc == 0, ran.stdout[-3000:] + ran.stderr[-3000:]
    out = tmp_path / ("bundle-" + venue)
    _docker("cp", "%s:%s.out/%s" % (pinned["container_id"], remote, venue), str(out))
    host.run_expect([0], "rm -rf %s %s.out" % (remote, remote))
    [bundle] = [p for p in out.iterdir() if p.is_dir()]
    return bundle


def test_a_packet_run_on_the_test_host_is_signed_and_verifies_the_same_way(host, name, pinned,
                                                                           tmp_path):
    bundle = _run_packet(host, name, pinned, tmp_path, name, EPHEMERAL / "inventory")
    statement = json.loads((bundle / STATEMENT).read_text())
    assert statement["host_key"] == pinned["host_key"] and statement["unsigned_reason"] is None
    run = json.loads((bundle / "run.json").read_text())
    assert run["producer"]["path"] == "packet"
    verdict = _verify(bundle, name, pinned)
    assert verdict.status == READY, verdict.reasons
    # verify.yml with the scenario's inventory, as a reviewer verifies a returned bundle.
    dest = tmp_path / "packet-verification"
    proc = run_playbook(PROJECT / "playbooks" / "verify.yml", "-e",
                        json.dumps({"sandbox_attest_bundle": str(bundle),
                                    "sandbox_attest_verification_dest": str(dest)}),
                        inventory=EPHEMERAL / "inventory")
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert json.loads((dest / "verdict.json").read_text())["status"] == READY
    cases = _every_byte_edit_fails(bundle, name, pinned, tmp_path)
    record(packet_signed=True, packet_status=verdict.status, packet_byte_edits_failed=cases)


def test_a_rehearsal_bundle_relabelled_as_the_approved_host_is_not_ready(host, name, pinned,
                                                                         tmp_path):
    # The same host run as a rehearsal venue: a packet rendered without a pin, unsigned.
    rehearsal = "rehearsal-" + name
    bundle = _run_packet(host, name, pinned, tmp_path, rehearsal, None)
    statement = json.loads((bundle / STATEMENT).read_text())
    assert statement["unsigned_reason"] == "no host key pinned for this venue"
    assert not (bundle / SIGNATURE).exists()
    relabelled = _copy(bundle, tmp_path / "relabelled")
    run = json.loads((relabelled / "run.json").read_text())
    run["inventory_hostname"] = name
    (relabelled / "run.json").write_text(json.dumps(run))
    _manifest(relabelled)
    verdict = _verify(relabelled, name, pinned)
    assert verdict.status != READY
    # Even with the unsigned statement rewritten to match: still unsigned, never READY.
    statement["files"]["run.json"] = hashlib.sha256(
        (relabelled / "run.json").read_bytes()).hexdigest()
    (relabelled / STATEMENT).write_text(json.dumps(statement))
    _manifest(relabelled)
    rewritten = _verify(relabelled, name, pinned)
    assert rewritten.status != READY
    assert any(r.startswith("unsigned evidence") for r in rewritten.reasons), rewritten.reasons
    record(relabelled_status=verdict.status, relabelled_reasons=verdict.reasons[:5],
           relabelled_rewritten_status=rewritten.status,
           relabelled_rewritten_reasons=rewritten.reasons[:5])
