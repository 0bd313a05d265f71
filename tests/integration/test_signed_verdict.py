"""Issue 17 item 3 for real: attest.yml on the local engine, approved and pinned, with a VSA
signing key writes a verdict securesystemslib accepts and whose subjects are the bundle's files;
a key that cannot sign stops the run before anything is created."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from harness import bundles_under, machine_fingerprint, run_containers, run_dirs, run_playbook
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

LOCAL = 'local ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"'


def _ssh_key(tmp_path) -> tuple[str, SSlibKey]:
    """An OpenSSH-encoded key, as `ssh-keygen -t ed25519` writes one."""
    private = Ed25519PrivateKey.generate()
    path = tmp_path / "vsa-signing-key"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.OpenSSH,
                                           serialization.NoEncryption()))
    path.chmod(0o600)
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    return str(path), SSlibKey.from_crypto(private.public_key(),
                                           keyid=hashlib.sha256(raw).hexdigest())


def _approved(tmp_path) -> str:
    inventory = tmp_path / "approved.ini"
    inventory.write_text("[approved_venues]\n%s ansible_become=false "
                         "sandbox_attest_venue_fingerprint=%s\n" % (LOCAL, machine_fingerprint()))
    return str(inventory)


def test_an_attestation_with_a_key_writes_a_verdict_securesystemslib_accepts(tmp_path) -> None:
    key_path, key = _ssh_key(tmp_path)
    evidence = tmp_path / "evidence"
    # Not require_ready: others' work on the shared engine during the window can make the
    # verdict short of READY (non-mutation); what is signed is the verdict, whichever it is.
    result = run_playbook("attest.yml", _approved(tmp_path), str(tmp_path),
                          "-e", "sandbox_attest_evidence_root=%s" % evidence,
                          "-e", "sandbox_attest_vsa_signing_key=%s" % key_path)
    assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
    [bundle] = bundles_under(str(evidence))
    verification = os.path.join(bundle, "verification")
    with open(os.path.join(verification, "vsa.dsse.json"), encoding="utf-8") as handle:
        document = json.load(handle)
    assert list(Envelope.from_dict(copy.deepcopy(document)).verify([key], 1)) == [key.keyid]

    payload = base64.b64decode(document["payload"])
    with open(os.path.join(verification, "vsa.intoto.json"), "rb") as handle:
        assert handle.read() == payload
    statement = json.loads(payload)
    with open(os.path.join(verification, "verdict.json"), encoding="utf-8") as handle:
        status = json.load(handle)["status"]
    ready = status == "SANDBOX_ATTESTED_READY"
    assert statement["predicate"]["verificationResult"] == ("PASSED" if ready else "FAILED")
    assert statement["predicate"]["verifiedLevels"] == [status if ready else "FAILED"]
    assert statement["predicate"]["https://example.invalid/sandbox-attest/status"] == status
    # What is signed names every evidence file by its digest: the signature covers the bundle.
    subjects = {s["name"]: s["digest"]["sha256"] for s in statement["subject"]}
    assert "manifest.json" in subjects and len(subjects) > 20
    for name, digest in subjects.items():
        with open(os.path.join(bundle, name), "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == digest, name

    # One byte of the signed verdict's result changed (PASSED -> PASSEd, FAILED -> FAILEd).
    result_value = statement["predicate"]["verificationResult"].encode()
    edited_payload = payload.replace(b'"%s"' % result_value,
                                     b'"%s"' % (result_value[:-1] + b"d"), 1)
    assert len(edited_payload) == len(payload) and edited_payload != payload
    edited = dict(document, payload=base64.b64encode(edited_payload).decode())
    with pytest.raises(VerificationError):
        Envelope.from_dict(copy.deepcopy(edited)).verify([key], 1)


def test_a_key_that_cannot_sign_stops_the_run_before_anything_is_created(tmp_path) -> None:
    key_path, dummy = _ssh_key(tmp_path)
    os.chmod(key_path, 0o640)
    containers_before, dirs_before = set(run_containers()), run_dirs()
    evidence = tmp_path / "evidence"
    result = run_playbook("attest.yml", _approved(tmp_path), str(tmp_path),
                          "-e", "sandbox_attest_evidence_root=%s" % evidence,
                          "-e", "sandbox_attest_vsa_signing_key=%s" % key_path)
    assert result.returncode != 0
    assert "refused before anything was created" in result.stdout
    assert "is readable by others (mode 0640): chmod 600 it" in result.stdout
    assert bundles_under(str(evidence)) == []
    assert run_dirs() == dirs_before
    # Others share the engine: only run containers (this collection's label) are compared.
    assert set(run_containers()) - containers_before == set()
