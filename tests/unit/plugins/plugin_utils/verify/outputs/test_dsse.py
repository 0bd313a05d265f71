"""The signed verdict, vsa.dsse.json: checked with implementations that owe nothing to ours -
securesystemslib's DSSE Envelope and, for the signature itself, openssl - and refused by them
after any edit of the payload, the payloadType, the signature or the keyid."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
import os
import random
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from securesystemslib.dsse import Envelope
from securesystemslib.exceptions import VerificationError
from securesystemslib.signer import SSlibKey

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._dsse import (
    PAYLOAD_TYPE,
    envelope,
    pae,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    load_vsa_signing_key,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    ENVELOPE_NAME,
    OUTPUT_NAMES,
    clear_outputs,
    write_outputs,
)

ENCODINGS = {
    "pkcs8": (serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8),
    "openssh": (serialization.Encoding.PEM, serialization.PrivateFormat.OpenSSH),
}


def write_key(directory, name: str = "key", encoding: str = "pkcs8",
              private: Ed25519PrivateKey | None = None) -> str:
    private = private or Ed25519PrivateKey.generate()
    path = os.path.join(str(directory), name)
    pem, fmt = ENCODINGS[encoding]
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as handle:
        handle.write(private.private_bytes(pem, fmt, serialization.NoEncryption()))
    return path


def sslib_key(path: str) -> SSlibKey:
    """The public key as securesystemslib holds it, under the keyid our rule gives it."""
    with open(path, "rb") as handle:
        data = handle.read()
    if b"OPENSSH" in data:
        private = serialization.load_ssh_private_key(data, None)
    else:
        private = serialization.load_pem_private_key(data, None)
    public = private.public_key()
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return SSlibKey.from_crypto(public, keyid=hashlib.sha256(raw).hexdigest())


def sslib_verifies(document: dict, key: SSlibKey) -> bool:
    try:
        Envelope.from_dict(copy.deepcopy(document)).verify([key], 1)
    except (VerificationError, ValueError, KeyError):
        return False
    return True


def read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


@pytest.fixture
def signed(bundle, verify, tmp_path):
    """A verification of the builder's READY bundle, written with a PEM PKCS#8 key."""
    key_path = write_key(tmp_path)
    paths = write_outputs(verify(bundle), bundle, signing_key=load_vsa_signing_key(key_path))
    return paths, key_path


def test_pae_is_the_specs_encoding() -> None:
    # protocol.md's worked example, then generated types and bodies against securesystemslib's.
    assert pae("http://example.com/HelloWorld", b"hello world") == (
        b"DSSEv1 29 http://example.com/HelloWorld 11 hello world")
    generator = random.Random(17)  # noqa: S311 - reproducible test bodies, not a secret
    for size in (0, 1, 9, 10, 99, 100, 4096):
        body = bytes(generator.randrange(256) for dummy in range(size))
        for kind in ("", PAYLOAD_TYPE, "application/vnd.x+json ü €", " 1 2 "):
            assert pae(kind, body) == Envelope(body, kind, {}).pae()


@pytest.mark.parametrize("encoding", sorted(ENCODINGS))
@pytest.mark.parametrize("rehearsal", [None, ["vps1"]], ids=["ready", "partial"])
def test_the_envelope_verifies_with_securesystemslib(bundle, verify, tmp_path, encoding,
                                                     rehearsal) -> None:
    key_path = write_key(tmp_path, encoding=encoding)
    signing_key = load_vsa_signing_key(key_path)
    paths = write_outputs(verify(bundle, rehearsal=rehearsal), bundle, signing_key=signing_key)
    assert sorted(paths) == sorted((*OUTPUT_NAMES, ENVELOPE_NAME))
    document = json.loads(read(paths[ENVELOPE_NAME]))
    assert sorted(document) == ["payload", "payloadType", "signatures"]
    assert document["payloadType"] == "application/vnd.in-toto+json"
    [signature] = document["signatures"]
    assert signature["keyid"] == signing_key.keyid
    key = sslib_key(key_path)
    accepted = Envelope.from_dict(copy.deepcopy(document)).verify([key], 1)
    assert list(accepted) == [signing_key.keyid]
    # The payload is the VSA file, byte for byte.
    parsed = Envelope.from_dict(copy.deepcopy(document))
    assert parsed.payload == read(paths["vsa.intoto.json"])
    statement = json.loads(parsed.payload)
    assert statement["predicateType"] == "https://slsa.dev/verification_summary/v1"
    assert statement["predicate"]["verificationResult"] == ("PASSED" if rehearsal is None
                                                            else "FAILED")


def _flip(data: bytes, index: int) -> bytes:
    return data[:index] + bytes([data[index] ^ 0x01]) + data[index + 1:]


def _edits(document: dict):
    """Every single edit of what the signature covers or names, generated: a bit of each payload
    byte, each payloadType character, a bit of each signature byte, each keyid character;
    then bytes added and removed, and the signature list emptied."""
    payload = base64.b64decode(document["payload"])
    sig = base64.b64decode(document["signatures"][0]["sig"])
    for index in range(len(payload)):
        yield "payload byte %d" % index, {"payload": base64.b64encode(
            _flip(payload, index)).decode()}
    yield "payload + LF", {"payload": base64.b64encode(payload + b"\n").decode()}
    yield "payload - last byte", {"payload": base64.b64encode(payload[:-1]).decode()}
    kind = document["payloadType"]
    for index in range(len(kind)):
        yield "payloadType char %d" % index, {"payloadType": kind[:index] + chr(
            ord(kind[index]) ^ 0x01) + kind[index + 1:]}
    for other in ("", "application/json", kind.upper(), kind + " "):
        yield "payloadType %r" % other, {"payloadType": other}
    for index in range(len(sig)):
        yield "sig byte %d" % index, {"sig": base64.b64encode(_flip(sig, index)).decode()}
    keyid = document["signatures"][0]["keyid"]
    for index in range(len(keyid)):
        replaced = "0" if keyid[index] != "0" else "1"
        yield "keyid char %d" % index, {"keyid": keyid[:index] + replaced + keyid[index + 1:]}
    yield "no signature", {"signatures": []}


def _apply(document: dict, edit: dict) -> dict:
    edited = copy.deepcopy(document)
    for field, value in edit.items():
        if field in ("sig", "keyid"):
            edited["signatures"][0][field] = value
        else:
            edited[field] = value
    return edited


def test_every_edit_fails_securesystemslib(signed) -> None:
    paths, key_path = signed
    document = json.loads(read(paths[ENVELOPE_NAME]))
    key = sslib_key(key_path)
    assert sslib_verifies(document, key)
    cases = list(_edits(document))
    assert len(cases) > 1000  # every byte of a few-kilobyte VSA, and the rest
    accepted = [name for name, edit in cases if sslib_verifies(_apply(document, edit), key)]
    assert accepted == []


def test_another_key_does_not_verify(signed, tmp_path) -> None:
    paths, dummy = signed
    document = json.loads(read(paths[ENVELOPE_NAME]))
    stranger = sslib_key(write_key(tmp_path, "stranger"))
    assert not sslib_verifies(document, stranger)
    # Nor does the stranger's key under the signer's keyid (the keyid is a hint, not a proof).
    impostor = SSlibKey(document["signatures"][0]["keyid"], stranger.keytype, stranger.scheme,
                        stranger.keyval)
    assert not sslib_verifies(document, impostor)


def test_a_signature_by_another_key_under_our_keyid_fails(signed, tmp_path) -> None:
    paths, key_path = signed
    document = json.loads(read(paths[ENVELOPE_NAME]))
    stranger = load_vsa_signing_key(write_key(tmp_path, "stranger"))
    forged = envelope(base64.b64decode(document["payload"]), stranger)
    forged["signatures"][0]["keyid"] = document["signatures"][0]["keyid"]
    assert not sslib_verifies(forged, sslib_key(key_path))


def _openssl_verifies(directory, key_path: str, document: dict) -> bool:
    """openssl pkeyutl -rawin: Ed25519 over the PAE bytes, recomputed here from the spec."""
    public = os.path.join(str(directory), "public.pem")
    subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-out", public], check=True,
                   capture_output=True)
    message = os.path.join(str(directory), "pae.bin")
    signature = os.path.join(str(directory), "sig.bin")
    with open(message, "wb") as handle:
        handle.write(pae(document["payloadType"], base64.b64decode(document["payload"])))
    with open(signature, "wb") as handle:
        handle.write(base64.b64decode(document["signatures"][0]["sig"]))
    proc = subprocess.run(["openssl", "pkeyutl", "-verify", "-pubin", "-inkey", public,
                           "-rawin", "-in", message, "-sigfile", signature],
                          capture_output=True, text=True, check=False)
    return proc.returncode == 0 and "Signature Verified Successfully" in proc.stdout


def test_openssl_verifies_the_signature_and_refuses_an_edit(signed, tmp_path) -> None:
    paths, key_path = signed
    document = json.loads(read(paths[ENVELOPE_NAME]))
    assert _openssl_verifies(tmp_path, key_path, document)
    generator = random.Random(3)  # noqa: S311 - a reproducible sample of the edits
    cases = list(_edits(document))
    for name, edit in generator.sample(cases, 12) + cases[-3:-1]:
        if "keyid" in edit:
            continue  # openssl is given the key, not the keyid
        assert not _openssl_verifies(tmp_path, key_path, _apply(document, edit)), name


def test_the_keyid_rule_with_openssl(signed) -> None:
    paths, key_path = signed
    der = subprocess.run(["openssl", "pkey", "-in", key_path, "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    # SubjectPublicKeyInfo of Ed25519: a 12-byte header, then the 32-byte raw key.
    assert len(der) == 44
    document = json.loads(read(paths[ENVELOPE_NAME]))
    assert document["signatures"][0]["keyid"] == hashlib.sha256(der[-32:]).hexdigest()


def test_without_a_key_the_outputs_are_unchanged(bundle, verify, tmp_path) -> None:
    verdict = verify(bundle)
    unsigned = write_outputs(verdict, bundle, str(tmp_path / "unsigned"))
    signed = write_outputs(verdict, bundle, str(tmp_path / "signed"),
                           load_vsa_signing_key(write_key(tmp_path)))
    assert sorted(unsigned) == sorted(OUTPUT_NAMES)
    assert sorted(os.listdir(tmp_path / "unsigned")) == sorted(OUTPUT_NAMES)
    for name in OUTPUT_NAMES:
        assert read(unsigned[name]) == read(signed[name]), name


def test_an_earlier_envelope_does_not_outlive_an_unsigned_verification(
        signed, bundle, verify) -> None:
    paths, dummy = signed
    assert os.path.isfile(paths[ENVELOPE_NAME])
    clear_outputs(bundle)
    write_outputs(verify(bundle), bundle)
    assert not os.path.lexists(paths[ENVELOPE_NAME])


def test_the_envelope_is_written_before_the_verdict(bundle, verify, tmp_path,
                                                    monkeypatch) -> None:
    from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs import _write

    order = []
    real = _write.write_file

    def recording(dest, name, data):
        order.append(name)
        return real(dest, name, data)

    monkeypatch.setattr(_write, "write_file", recording)
    write_outputs(verify(bundle), bundle, signing_key=load_vsa_signing_key(write_key(tmp_path)))
    assert order[-1] == "verdict.json"
    assert order.index("vsa.intoto.json") < order.index(ENVELOPE_NAME)
