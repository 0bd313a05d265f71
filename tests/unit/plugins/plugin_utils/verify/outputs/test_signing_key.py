"""The VSA signing key: the two encodings load, every unusable key is refused naming its cause,
and the key material is never in a message or a repr."""

from __future__ import annotations

import os
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed448, ed25519, rsa

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs import _signing_key
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    SigningKeyError,
    keyid_of,
    load_vsa_signing_key,
)

PEM = serialization.Encoding.PEM
PKCS8 = serialization.PrivateFormat.PKCS8
OPENSSH = serialization.PrivateFormat.OpenSSH
PLAIN = serialization.NoEncryption()
PASSPHRASE = "correct horse battery staple"


def _write(tmp_path, name: str, data: bytes, mode: int = 0o600) -> str:
    path = str(tmp_path / name)
    with open(path, "wb") as handle:
        handle.write(data)
    os.chmod(path, mode)
    return path


@pytest.mark.parametrize("fmt", [PKCS8, OPENSSH], ids=["pkcs8", "openssh"])
def test_both_encodings_load_with_the_same_keyid(tmp_path, fmt) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    path = _write(tmp_path, "key", private.private_bytes(PEM, fmt, PLAIN))
    key = load_vsa_signing_key(path)
    raw = private.public_key().public_bytes(serialization.Encoding.Raw,
                                            serialization.PublicFormat.Raw)
    assert key.keyid == keyid_of(raw) and len(key.keyid) == 64
    assert key.public_raw() == raw
    private.public_key().verify(key.sign(b"message"), b"message")


def test_keys_made_by_the_usual_tools_load(tmp_path) -> None:
    # What the docs tell an operator to run, not cryptography's own serialisation.
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-out",
                    str(tmp_path / "openssl.pem")], check=True, capture_output=True)
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f",
                    str(tmp_path / "ssh")], check=True, capture_output=True)
    subprocess.run(["openssl", "genpkey", "-algorithm", "ed25519", "-aes256", "-pass",
                    "pass:" + PASSPHRASE, "-out", str(tmp_path / "encrypted.pem")],
                   check=True, capture_output=True)
    os.chmod(tmp_path / "openssl.pem", 0o600)
    os.chmod(tmp_path / "encrypted.pem", 0o600)
    load_vsa_signing_key(str(tmp_path / "openssl.pem"))
    load_vsa_signing_key(str(tmp_path / "ssh"))
    load_vsa_signing_key(str(tmp_path / "encrypted.pem"), PASSPHRASE)


def _encrypted() -> bytes:
    return ed25519.Ed25519PrivateKey.generate().private_bytes(
        PEM, PKCS8, serialization.BestAvailableEncryption(PASSPHRASE.encode()))


def _other(private) -> bytes:
    return private.private_bytes(PEM, PKCS8, PLAIN)


REFUSALS = {
    "encrypted, no passphrase": (_encrypted, None, "is encrypted: set "
                                 "sandbox_attest_vsa_signing_key_passphrase"),
    "wrong passphrase": (_encrypted, "not-the-passphrase-7f3", "a wrong passphrase"),
    "passphrase for a plain key": (lambda: _other(ed25519.Ed25519PrivateKey.generate()),
                                   PASSPHRASE, "is not encrypted"),
    "rsa": (lambda: _other(rsa.generate_private_key(public_exponent=65537, key_size=2048)),
            None, "is RSA, not Ed25519"),
    "ec": (lambda: _other(ec.generate_private_key(ec.SECP256R1())), None, "not Ed25519"),
    "ed448": (lambda: _other(ed448.Ed448PrivateKey.generate()), None, "not Ed25519"),
    "a public key": (
        lambda: ed25519.Ed25519PrivateKey.generate().public_key().public_bytes(
            PEM, serialization.PublicFormat.SubjectPublicKeyInfo),
        None, "is not a PEM PKCS#8 or OpenSSH private key"),
    "not a key": (lambda: b"-----BEGIN PRIVATE KEY-----\nbm90IGEga2V5\n"
                  b"-----END PRIVATE KEY-----\n", None, "is not a PEM PKCS#8 or OpenSSH"),
    "empty": (lambda: b"", None, "is not a PEM PKCS#8 or OpenSSH private key"),
    "too large": (lambda: b"A" * (64 * 1024 + 1), None, "not a key file"),
}


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_unusable_keys_are_refused_naming_the_cause(tmp_path, case) -> None:
    make, passphrase, message = REFUSALS[case]
    data = make()
    path = _write(tmp_path, "key", data)
    with pytest.raises(SigningKeyError) as caught:
        load_vsa_signing_key(path, passphrase)
    assert message in str(caught.value) and path in str(caught.value)
    # The message quotes neither the file nor the passphrase.
    for line in data.splitlines()[1:2]:
        assert line.decode("ascii", "replace") not in str(caught.value)
    assert not passphrase or passphrase not in str(caught.value)


@pytest.mark.parametrize("mode", [0o640, 0o604, 0o644, 0o660, 0o666])
def test_a_key_others_can_read_is_refused(tmp_path, mode) -> None:
    path = _write(tmp_path, "key", _other(ed25519.Ed25519PrivateKey.generate()), mode)
    with pytest.raises(SigningKeyError, match=r"readable by others \(mode 0\d+\): chmod 600 it"):
        load_vsa_signing_key(path)


def test_paths_that_are_not_a_key_file(tmp_path) -> None:
    with pytest.raises(SigningKeyError, match="does not exist"):
        load_vsa_signing_key(str(tmp_path / "missing"))
    with pytest.raises(SigningKeyError, match="is not a regular file"):
        load_vsa_signing_key(str(tmp_path))
    with pytest.raises(SigningKeyError, match="is relative"):
        load_vsa_signing_key("key.pem")


def test_a_link_to_a_protected_key_loads(tmp_path) -> None:
    # A secret mounted by Kubernetes (an AWX or EE job) is a link to a 0600 file.
    path = _write(tmp_path, "key", _other(ed25519.Ed25519PrivateKey.generate()))
    os.symlink(path, str(tmp_path / "link"))
    assert load_vsa_signing_key(str(tmp_path / "link")).keyid == load_vsa_signing_key(
        path).keyid


def test_the_key_is_never_in_its_repr(tmp_path) -> None:
    private = ed25519.Ed25519PrivateKey.generate()
    key = load_vsa_signing_key(_write(tmp_path, "key", _other(private)))
    raw = private.private_bytes(serialization.Encoding.Raw, serialization.PrivateFormat.Raw,
                                PLAIN)
    assert repr(key) == "VsaSigningKey(keyid=%r)" % key.keyid
    assert raw.hex() not in repr(key) and str(raw) not in str(key)


def test_without_cryptography_a_key_is_refused_naming_the_package(tmp_path, monkeypatch) -> None:
    """The module imports without cryptography (ansible-test's sanity environments lack it); a
    key given then is refused before it is read, and the message names the package."""
    monkeypatch.setattr(_signing_key, "CRYPTOGRAPHY_IMPORT_ERROR",
                        ImportError("No module named 'cryptography'"))
    with pytest.raises(SigningKeyError, match="needs the Python package cryptography"):
        load_vsa_signing_key(str(tmp_path / "never-read"))
