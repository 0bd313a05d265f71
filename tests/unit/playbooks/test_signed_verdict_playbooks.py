"""The signed verdict through the real playbook, on the controller only: verify.yml over one
bundle and over a directory of them writes an envelope beside each VSA, which securesystemslib
accepts; without a key, none; a key that cannot sign stops the play naming why."""

from __future__ import annotations

import hashlib
import json
import os

import evidence_builder as eb
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.signer import SSlibKey

from playbooks.test_fleet_playbooks import _playbook

PASSPHRASE = "vault-me-%s" % os.urandom(6).hex()
INVENTORY = "[approved_venues]\n%s sandbox_attest_venue_fingerprint=%s\n" % (
    eb.HOST, eb.FINGERPRINT)


def _key(tmp_path, passphrase: str | None = None) -> tuple[str, SSlibKey]:
    private = Ed25519PrivateKey.generate()
    encryption = (serialization.BestAvailableEncryption(passphrase.encode()) if passphrase
                  else serialization.NoEncryption())
    path = tmp_path / "vsa-signing-key.pem"
    path.write_bytes(private.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8, encryption))
    path.chmod(0o600)
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    return str(path), SSlibKey.from_crypto(private.public_key(),
                                           keyid=hashlib.sha256(raw).hexdigest())


def _bundles(tmp_path, probe_path, digests, count: int) -> list[str]:
    made = []
    for index in range(count):
        run_id = "20261128T2%d0000Z-1a2b3c4%d" % (index, index)
        root = tmp_path / "returned" / eb.HOST / run_id
        root.mkdir(parents=True)
        eb.write(eb.make_model(probe_path, *digests, run_id=run_id), str(root))
        made.append(str(root))
    return made


def _accepted(bundle: str, key: SSlibKey) -> bytes:
    """The verified payload, after checking it is the VSA written beside it."""
    verification = os.path.join(bundle, "verification")
    with open(os.path.join(verification, "vsa.dsse.json"), encoding="utf-8") as handle:
        envelope = Envelope.from_dict(json.load(handle))
    envelope.verify([key], 1)
    with open(os.path.join(verification, "vsa.intoto.json"), "rb") as handle:
        assert handle.read() == envelope.payload
    return envelope.payload


def test_every_bundle_of_a_directory_gets_a_signed_verdict(tmp_path, probe_path,
                                                           digests) -> None:
    bundles = _bundles(tmp_path, probe_path, digests, 2)
    key_path, key = _key(tmp_path, PASSPHRASE)
    # Given as a vault would give it (a vars file, not the command line, which -vvvv prints),
    # at -vvvv with every task's arguments shown: the passphrase still appears nowhere.
    secrets = tmp_path / "secrets.yml"
    secrets.write_text("sandbox_attest_vsa_signing_key_passphrase: %s\n" % PASSPHRASE)
    os.environ["ANSIBLE_DISPLAY_ARGS_TO_STDOUT"] = "1"
    try:
        proc = _playbook(tmp_path, "verify.yml", INVENTORY, "-vvvv",
                         "-e", "sandbox_attest_bundles=%s" % (tmp_path / "returned"),
                         "-e", "sandbox_attest_vsa_signing_key=%s" % key_path,
                         "-e", "@%s" % secrets)
    finally:
        del os.environ["ANSIBLE_DISPLAY_ARGS_TO_STDOUT"]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for bundle in bundles:
        statement = json.loads(_accepted(bundle, key))
        assert statement["subject"] and statement["predicate"]["verificationResult"]
    assert PASSPHRASE not in proc.stdout + proc.stderr


def test_one_bundle_signed_then_unsigned(tmp_path, probe_path, digests) -> None:
    [bundle] = _bundles(tmp_path, probe_path, digests, 1)
    key_path, key = _key(tmp_path)
    signed = _playbook(tmp_path, "verify.yml", INVENTORY,
                       "-e", "sandbox_attest_bundle=%s" % bundle,
                       "-e", "sandbox_attest_vsa_signing_key=%s" % key_path)
    assert signed.returncode == 0, signed.stdout[-3000:] + signed.stderr[-2000:]
    _accepted(bundle, key)
    # Verified again without a key: the earlier envelope is gone, nothing replaces it.
    unsigned = _playbook(tmp_path, "verify.yml", INVENTORY,
                         "-e", "sandbox_attest_bundle=%s" % bundle)
    assert unsigned.returncode == 0, unsigned.stdout[-3000:]
    assert sorted(os.listdir(os.path.join(bundle, "verification"))) == [
        "junit.xml", "report.md", "statement.intoto.json", "verdict.json", "vsa.intoto.json"]


def test_a_key_that_cannot_sign_stops_the_play_naming_why(tmp_path, probe_path,
                                                          digests) -> None:
    [bundle] = _bundles(tmp_path, probe_path, digests, 1)
    key_path, dummy = _key(tmp_path)
    os.chmod(key_path, 0o644)
    proc = _playbook(tmp_path, "verify.yml", INVENTORY,
                     "-e", "sandbox_attest_bundle=%s" % bundle,
                     "-e", "sandbox_attest_vsa_signing_key=%s" % key_path)
    assert proc.returncode != 0
    assert "is readable by others (mode 0644): chmod 600 it" in proc.stdout
    assert not os.path.exists(os.path.join(bundle, "verification"))
