"""Issue 'Verify and bind' on real bundles: rehearsal is PARTIAL for one reason only; the same
engine declared approved and pinned is PARTIAL only for want of the venue's signature (issue 17:
this machine has no SSH host key to sign with); verify.yml re-checks a returned bundle."""

from __future__ import annotations

import json

from harness import bundles_under, machine_fingerprint, run_playbook

LOCAL = 'local ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"'

# The local venue has no SSH host key pinned (nor any in /etc/ssh here): READY is out of reach.
UNSIGNED_LOCAL = "unsigned evidence: no host key pinned for this venue"


def verdict(bundle: str, dest: str | None = None) -> dict:
    path = (dest or bundle + "/verification") + "/verdict.json"
    with open(path, encoding="utf-8") as handle:
        return json.load(handle)


def test_rehearsal_is_partial_for_the_single_reason_rehearsal_venue(tmp_path) -> None:
    evidence = tmp_path / "evidence"
    result = run_playbook("attest.yml", "inventories/local", str(tmp_path),
                          "-e", "sandbox_attest_evidence_root=%s" % evidence)
    assert result.returncode == 0, result.stdout[-4000:]
    [bundle] = bundles_under(str(evidence))
    found = verdict(bundle)
    assert found["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert found["reasons"] == ["rehearsal venue"]
    assert [row["result"] for row in found["rows"]] == ["PASS"] * 14
    assert [row["row"] for row in found["rows"]] == list(range(24, 38))
    assert "SANDBOX_ATTESTATION_PARTIAL - gate B4′ BLOCKED" in result.stdout

    # The same bundle, verified against an inventory that approves and pins this engine.
    approved = tmp_path / "approved.ini"
    approved.write_text("[approved_venues]\n%s sandbox_attest_venue_fingerprint=%s\n"
                        % (LOCAL, machine_fingerprint()))
    dest = tmp_path / "verification-approved"
    check = run_playbook("verify.yml", str(approved), str(tmp_path),
                         "-e", "sandbox_attest_bundle=%s" % bundle,
                         "-e", "sandbox_attest_verification_dest=%s" % dest)
    assert check.returncode == 0, check.stdout[-4000:]
    # READY needs the venue's signature by its pinned SSH host key (issue 17); the local venue
    # has none pinned, so its bundle is unsigned, and only that keeps it from READY.
    approved_verdict = verdict(bundle, str(dest))
    assert approved_verdict["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert approved_verdict["reasons"] == [UNSIGNED_LOCAL]
    for name in ("verdict.json", "report.md", "statement.intoto.json", "vsa.intoto.json",
                 "junit.xml"):
        assert (dest / name).is_file()
    # The rehearsal inventory still says PARTIAL, and require_ready then fails the play.
    strict = run_playbook("verify.yml", "inventories/local", str(tmp_path),
                          "-e", "sandbox_attest_bundle=%s" % bundle,
                          "-e", "sandbox_attest_require_ready=true")
    assert strict.returncode != 0 and "not SANDBOX_ATTESTED_READY" in strict.stdout


def test_attesting_an_approved_pinned_engine_is_partial_only_for_want_of_a_signature(
        tmp_path) -> None:
    approved = tmp_path / "approved.ini"
    approved.write_text("[approved_venues]\n%s ansible_become=false "
                        "sandbox_attest_venue_fingerprint=%s\n" % (LOCAL, machine_fingerprint()))
    evidence = tmp_path / "evidence"
    result = run_playbook("attest.yml", str(approved), str(tmp_path), "-e",
                          "sandbox_attest_evidence_root=%s" % evidence)
    assert result.returncode == 0, result.stdout[-4000:]
    [bundle] = bundles_under(str(evidence))
    found = verdict(bundle)
    assert found["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert found["reasons"] == [UNSIGNED_LOCAL]
    assert found["gate"] == {"name": "B4′", "state": "BLOCKED"}
