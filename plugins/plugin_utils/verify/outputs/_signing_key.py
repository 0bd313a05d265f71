# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The controller's Ed25519 key that signs the verdict (sandbox_attest_vsa_signing_key).

Two encodings load: PEM PKCS#8 (`-----BEGIN PRIVATE KEY-----`, `openssl genpkey -algorithm
ed25519`; `-----BEGIN ENCRYPTED PRIVATE KEY-----` with a passphrase) and OpenSSH
(`-----BEGIN OPENSSH PRIVATE KEY-----`, `ssh-keygen -t ed25519`; encrypted, it needs the
bcrypt package, which cryptography uses for it but does not require). The key is
checked before a verification starts, and every refusal names its cause without quoting the
file. The private key never leaves this module's object: only the keyid is ever returned.

Loading uses `cryptography`, which ansible-core itself requires, so a signing controller (or
execution environment) needs no package it did not already have.
"""

from __future__ import annotations

import hashlib
import os
import stat
from dataclasses import dataclass

# cryptography comes with ansible-core on every controller, but the module is importable without
# it (ansible-test's sanity environments lack it): a key is refused then, naming the package.
try:
    from cryptography.exceptions import UnsupportedAlgorithm
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
except ImportError as exc:  # pragma: no cover - present wherever ansible-core is installed
    CRYPTOGRAPHY_IMPORT_ERROR: ImportError | None = exc
else:
    CRYPTOGRAPHY_IMPORT_ERROR = None

# A key file is a few hundred bytes; anything far larger is not one (and is not read whole).
_MAX_KEY_BYTES = 64 * 1024
_OPENSSH_MARKER = b"-----BEGIN OPENSSH PRIVATE KEY-----"


class SigningKeyError(ValueError):
    """The configured signing key cannot be used (the message names why, never the key)."""


@dataclass(frozen=True)
class VsaSigningKey:
    """An Ed25519 private key and its keyid: the hex sha256 of its 32-byte raw public key."""

    private_key: Ed25519PrivateKey
    keyid: str

    def sign(self, message: bytes) -> bytes:
        return self.private_key.sign(message)

    def public_raw(self) -> bytes:
        return self.private_key.public_key().public_bytes(
            serialization.Encoding.Raw, serialization.PublicFormat.Raw)

    def __repr__(self) -> str:
        # Never the key material, in a traceback or a debug print.
        return "VsaSigningKey(keyid=%r)" % self.keyid


def keyid_of(public_raw: bytes) -> str:
    """The keyid rule (docs/signed-verdict.md): sha256 over the raw 32-byte Ed25519 public key,
    lower-case hex. Reproducible with openssl alone:
    `openssl pkey -in KEY -pubout -outform DER | tail -c 32 | sha256sum`."""
    return hashlib.sha256(public_raw).hexdigest()


def _read(path: str) -> bytes:
    if not os.path.isabs(path):
        raise SigningKeyError("the VSA signing key %r is relative: give an absolute path on the "
                              "controller" % path)
    try:
        # Not following a link would refuse keys placed the usual way (a mounted secret is a
        # link in Kubernetes); the mode and type checks below apply to what it points at.
        info = os.stat(path)
    except FileNotFoundError:
        raise SigningKeyError("the VSA signing key %s does not exist" % path) from None
    except OSError as exc:
        raise SigningKeyError("the VSA signing key %s cannot be read: %s"
                              % (path, exc.strerror or exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise SigningKeyError("the VSA signing key %s is not a regular file" % path)
    if info.st_mode & 0o077:
        # As OpenSSH refuses an unprotected key: a key others can read signs for them too.
        raise SigningKeyError("the VSA signing key %s is readable by others (mode %04o): "
                              "chmod 600 it" % (path, stat.S_IMODE(info.st_mode)))
    if info.st_size > _MAX_KEY_BYTES:
        raise SigningKeyError("the VSA signing key %s is %d bytes: not a key file"
                              % (path, info.st_size))
    try:
        with open(path, "rb") as handle:
            return handle.read(_MAX_KEY_BYTES + 1)
    except OSError as exc:
        raise SigningKeyError("the VSA signing key %s cannot be read: %s"
                              % (path, exc.strerror or exc)) from None


def _parse(data: bytes, password: bytes | None, path: str) -> object:
    try:
        if data.lstrip().startswith(_OPENSSH_MARKER):
            return serialization.load_ssh_private_key(data, password)
        return serialization.load_pem_private_key(data, password)
    except TypeError as exc:
        # cryptography's two password mistakes are TypeErrors; tell them apart by what was given.
        if password is None:
            raise SigningKeyError("the VSA signing key %s is encrypted: set "
                                  "sandbox_attest_vsa_signing_key_passphrase" % path) from None
        raise SigningKeyError("the VSA signing key %s is not encrypted: unset "
                              "sandbox_attest_vsa_signing_key_passphrase" % path) from exc
    except UnsupportedAlgorithm as exc:
        if "bcrypt" in str(exc):
            # cryptography decrypts OpenSSH keys with the bcrypt package, which it does not
            # require: say what to install rather than that the algorithm is unknown.
            raise SigningKeyError("the VSA signing key %s is an encrypted OpenSSH key, which "
                                  "needs the Python package bcrypt on the controller: install "
                                  "it, or use an encrypted PEM PKCS#8 key (openssl genpkey "
                                  "-algorithm ed25519 -aes256)" % path) from None
        raise SigningKeyError("the VSA signing key %s uses an algorithm this controller cannot "
                              "load: give an Ed25519 key" % path) from None
    except ValueError:
        # Never the parser's message: it may quote what it could not parse.
        if password is not None:
            raise SigningKeyError("the VSA signing key %s cannot be loaded: a wrong passphrase, "
                                  "or not a PEM PKCS#8 or OpenSSH private key" % path) from None
        raise SigningKeyError("the VSA signing key %s is not a PEM PKCS#8 or OpenSSH private "
                              "key" % path) from None


def load_vsa_signing_key(path: str, passphrase: str | None = None) -> VsaSigningKey:
    """The key at path, checked; SigningKeyError names what is wrong with it."""
    if CRYPTOGRAPHY_IMPORT_ERROR is not None:
        raise SigningKeyError("signing the VSA needs the Python package cryptography on the "
                              "controller: %s" % CRYPTOGRAPHY_IMPORT_ERROR)
    password = passphrase.encode("utf-8") if passphrase else None
    key = _parse(_read(path), password, path)
    if not isinstance(key, Ed25519PrivateKey):
        raise SigningKeyError("the VSA signing key %s is %s, not Ed25519 (ssh-keygen -t ed25519, "
                              "or openssl genpkey -algorithm ed25519)"
                              % (path, type(key).__name__.replace("PrivateKey", "").lstrip("_")
                                 or "another kind of key"))
    public_raw = key.public_key().public_bytes(serialization.Encoding.Raw,
                                               serialization.PublicFormat.Raw)
    return VsaSigningKey(key, keyid_of(public_raw))
