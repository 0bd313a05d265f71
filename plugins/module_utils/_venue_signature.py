# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The venue's signed statement (docs/evidence-bundle.md, "signature/"): its namespace, the
pinned public host key's form, and the signing with the host key whose public half is the pin.

Here because the target signs (M(sandbox.attest.evidence_seal), under become: host keys are
root-only) and the verifier reads the same constants. The operator packet's script does the same
with ssh-keygen (the renderer passes it the namespace).
"""

from __future__ import annotations

import base64
import binascii
import glob
import hashlib
import re
import struct
import subprocess

from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty

# ssh-keygen -Y's namespace: a signature made for this collection's evidence cannot be replayed
# as one for another purpose (a git commit, a file), nor the other way round.
NAMESPACE = "sandbox-attest-evidence-v1@sandbox.attest"
STATEMENT_FORMAT = 1
SIGNATURE_DIR = "signature"
STATEMENT = SIGNATURE_DIR + "/statement.json"
STATEMENT_SIG = STATEMENT + ".sig"
# Where the host's SSH host keys are (OpenSSH's default HostKey paths).
HOST_KEY_GLOB = "/etc/ssh/ssh_host_*_key"
# The principal named in the verifier's allowed_signers file (any fixed word: the file holds
# one key, the pin).
PRINCIPAL = "venue"

KEY_TYPES = ("ssh-ed25519", "ecdsa-sha2-nistp256", "ecdsa-sha2-nistp384", "ecdsa-sha2-nistp521",
             "ssh-rsa")
_PIN = re.compile(r"^(%s) ([A-Za-z0-9+/]+={0,2})$" % "|".join(re.escape(t) for t in KEY_TYPES))


class PinError(ValueError):
    """A pinned host key that is not one OpenSSH public key."""


def parse_pin(value: object) -> str:
    """The pin as `<type> <base64>` (a trailing comment dropped), or PinError saying why not.
    The base64 must decode and name its own type first, as every OpenSSH public key does."""
    if not isinstance(value, str):
        raise PinError("the pinned host key must be a string, got %s" % type(value).__name__)
    fields = value.strip().split()
    if len(fields) < 2 or "\n" in value.strip():
        raise PinError("the pinned host key must be one line `<type> <base64>` (the .pub file "
                       "of the host key), got %r" % value[:80])
    pin = "%s %s" % (fields[0], fields[1])
    if not _PIN.match(pin):
        raise PinError("the pinned host key %r is not an OpenSSH public key of type %s"
                       % (value[:80], ", ".join(KEY_TYPES)))
    try:
        blob = base64.b64decode(fields[1], validate=True)
        (length,) = struct.unpack(">I", blob[:4])
        named = blob[4:4 + length].decode("ascii")
    except (binascii.Error, struct.error, UnicodeDecodeError) as exc:
        raise PinError("the pinned host key's base64 does not decode to a key: %s" % exc) from exc
    if named != fields[0]:
        raise PinError("the pinned host key says %s but its key data is %r"
                       % (fields[0], named[:40]))
    return pin


def statement_document(run_id: str, fingerprint: str, host_key: str | None,
                       files: dict[str, bytes], unsigned_reason: str | None) -> dict:
    """What the venue states: the run, the venue fingerprint, the pin it signed for, and the
    sha256 of every file whose bytes it produced."""
    return {
        "format": STATEMENT_FORMAT,
        "namespace": NAMESPACE,
        "run_id": run_id,
        "venue_fingerprint": fingerprint,
        "host_key": host_key or None,
        "unsigned_reason": unsigned_reason,
        "algorithm": "sha256",
        "files": {path: hashlib.sha256(data).hexdigest() for path, data in sorted(files.items())},
    }


def _public_half(key_path: str, ssh_keygen: str) -> str | None:
    proc = subprocess.run([ssh_keygen, "-y", "-f", key_path], capture_output=True, check=False,
                          stdin=subprocess.DEVNULL, timeout=30)
    if proc.returncode != 0:
        return None
    fields = proc.stdout.decode("ascii", "replace").split()
    return "%s %s" % (fields[0], fields[1]) if len(fields) >= 2 else None


def find_host_key(pin: str, ssh_keygen: str = "ssh-keygen",
                  pattern: str = HOST_KEY_GLOB) -> tuple[str | None, str | None]:
    """(the private host key whose public half is the pin, why none) - compared with
    `ssh-keygen -y`, which derives the public half from the private key itself (a .pub file
    beside it could say anything)."""
    paths = sorted(glob.glob(pattern))
    if not paths:
        return None, "no SSH host key on this host (%s)" % pattern
    for path in paths:
        if _public_half(path, ssh_keygen) == pin:
            return path, None
    return None, "none of this host's SSH host keys (%s) is the pinned one" % ", ".join(paths)


def sign(data: bytes, key_path: str, ssh_keygen: str = "ssh-keygen") -> bytes:
    """`ssh-keygen -Y sign` over data on standard input: the armoured SSHSIG signature."""
    proc = subprocess.run([ssh_keygen, "-Y", "sign", "-q", "-f", key_path, "-n", NAMESPACE],
                          input=data, capture_output=True, check=False, timeout=60)
    if proc.returncode != 0 or not proc.stdout.startswith(b"-----BEGIN SSH SIGNATURE-----"):
        raise OSError("ssh-keygen -Y sign failed (%d): %s" % (
            proc.returncode, proc.stderr.decode("utf-8", "replace").strip()[:300]))
    return proc.stdout


def seal(files: dict[str, bytes], run_id: str, fingerprint: str, pin: str | None,
         ssh_keygen: str = "ssh-keygen", pattern: str = HOST_KEY_GLOB) -> dict[str, bytes]:
    """The statement over `files` and, when the pinned host key is here, its signature: the
    two files to add to the bundle. Unsigned is not an error: the statement says why."""
    key_path, reason = None, None
    if not pin:
        reason = "no host key pinned for this venue"
    else:
        try:
            key_path, reason = find_host_key(pin, ssh_keygen, pattern)
        except (OSError, subprocess.SubprocessError) as exc:
            reason = "ssh-keygen cannot be run: %s" % exc
    statement = None
    signature = None
    if key_path is not None:
        statement = pretty(statement_document(run_id, fingerprint, pin, files, None))
        try:
            signature = sign(statement, key_path, ssh_keygen)
        except (OSError, subprocess.SubprocessError) as exc:
            reason = "signing failed: %s" % exc
    if signature is None:
        statement = pretty(statement_document(run_id, fingerprint, pin, files, reason))
        return {STATEMENT: statement}
    return {STATEMENT: statement, STATEMENT_SIG: signature}
