# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "signature": did the venue sign this evidence with its pinned SSH host key?

The venue states the sha256 of every file it produced (signature/statement.json) and signs the
statement with its host key (`ssh-keygen -Y sign`, module_utils/_venue_signature.py). Here the
signature is checked with `ssh-keygen -Y verify` against an allowed_signers file written in a
private temporary directory from the inventory's pin alone (nothing in the bundle says which
key to trust), and every digest is recomputed from the bytes the verifier read.

READY needs a valid signature by the pinned key over digests that match the files, every file
but manifest.json and the signature itself listed. Unsigned, or no key pinned: PARTIAL with that
reason. Signed by another key, a signature that does not verify, a digest that does not match,
a file missing from the statement: FAILED. A rehearsal or unapproved venue is never READY
anyway (finding "venue" says why): its signature state is reported, and adds no reason unless
the evidence contradicts itself.
"""

from __future__ import annotations

import base64
import binascii
import functools
import hashlib
import os
import shutil
import subprocess
import tempfile
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils._venue_signature import (
    NAMESPACE,
    PRINCIPAL,
    STATEMENT_FORMAT,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    KIND_FILE,
    Evidence,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    INFO,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import dig, short
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    Venues,
    claimed_host,
)

# Exact reason texts: the tests and the verdict language key on them.
REASON_UNSIGNED = "unsigned evidence"
REASON_NO_HOST_KEY = "no venue host key pinned"
REASON_NOT_CHECKED = "venue signature not checked"
REASON_OTHER_KEY = "evidence signed by another key than the pinned host key"
REASON_BAD_SIGNATURE = "venue signature does not verify with the pinned host key"
REF_STATEMENT = bundle.STATEMENT
REF_SIG = bundle.STATEMENT_SIG


def venue_files(evidence: Evidence) -> dict[str, str | None]:
    """Every regular file the venue must have stated: path -> sha256 of the bytes read."""
    skip = {bundle.MANIFEST, *bundle.SIGNATURE_FILES}
    return {path: entry.sha256 for path, entry in evidence.bundle.entries.items()
            if entry.kind == KIND_FILE and path not in skip
            and path.split("/", 1)[0] != bundle.VERIFICATION_DIR}


# The same statement, signature and key give the same answer: a fleet or a test verifying many
# bundles of one statement asks ssh-keygen once.
@functools.lru_cache(maxsize=64)
def verify_signature(statement: bytes, signature: bytes, pin: str,
                     ssh_keygen: str | None = None) -> tuple[bool | None, str]:
    """(True, "") when `signature` is the pinned key's over `statement` in our namespace;
    (False, why) when not; (None, why) when ssh-keygen cannot be run. The allowed_signers file
    and the signature are written to a private temporary directory: the bundle may be
    read-only, and no path of it is handed to ssh-keygen."""
    ssh_keygen = ssh_keygen or shutil.which("ssh-keygen")
    if not ssh_keygen:
        return None, "ssh-keygen is not on the controller's PATH"
    with tempfile.TemporaryDirectory(prefix="sandbox-attest-verify-") as scratch:
        allowed = os.path.join(scratch, "allowed_signers")
        sig_path = os.path.join(scratch, "statement.sig")
        with open(allowed, "w", encoding="ascii") as handle:
            handle.write('%s namespaces="%s" %s\n' % (PRINCIPAL, NAMESPACE, pin))
        with open(sig_path, "wb") as handle:
            handle.write(signature)
        try:
            proc = subprocess.run(
                [ssh_keygen, "-Y", "verify", "-f", allowed, "-I", PRINCIPAL, "-n", NAMESPACE,
                 "-s", sig_path], input=statement, capture_output=True, check=False, timeout=60)
        except (OSError, subprocess.SubprocessError) as exc:
            return None, "ssh-keygen cannot be run: %s" % exc
    if proc.returncode == 0:
        return True, ""
    return False, short((proc.stderr or proc.stdout).decode("utf-8", "replace").strip(), 200)


ARMOUR_BEGIN = b"-----BEGIN SSH SIGNATURE-----"
ARMOUR_END = b"-----END SSH SIGNATURE-----"
ARMOUR_LINE = 70


def is_canonical_armour(signature: bytes) -> bool:
    """Whether the signature file is exactly as ssh-keygen writes it (base64 in lines of 70,
    the begin and end lines, one final LF). ssh-keygen -Y verify skips whitespace, so without
    this a byte of the file could change and the signature still verify."""
    lines = signature.split(b"\n")
    if len(lines) < 4 or lines[0] != ARMOUR_BEGIN or lines[-2:] != [ARMOUR_END, b""]:
        return False
    body = b"".join(lines[1:-2])
    try:
        blob = base64.b64decode(body, validate=True)
    except (binascii.Error, ValueError):
        return False
    encoded = base64.b64encode(blob)
    wrapped = [encoded[i:i + ARMOUR_LINE] for i in range(0, len(encoded), ARMOUR_LINE)]
    return lines[1:-2] == wrapped


def _statement_checks(evidence: Evidence, statement: Any) -> list[Check]:
    """The statement against the bundle: its namespace, run, venue and every file's digest."""
    checks: list[Check] = []
    if not isinstance(statement, dict) or statement.get("format") != STATEMENT_FORMAT:
        return [Check("statement", FAIL, "signature: %s is not a statement of format %d"
                      % (REF_STATEMENT, STATEMENT_FORMAT), refs=(REF_STATEMENT,))]
    expected = {
        "namespace": NAMESPACE,
        "run_id": dig(evidence.doc(bundle.RUN), "run_id"),
        "venue_fingerprint": dig(evidence.doc(bundle.VENUE), "fingerprint"),
    }
    for key, value in expected.items():
        if statement.get(key) != value:
            checks.append(Check("statement_" + key, FAIL, "signature: the statement's %s is "
                                "not the bundle's" % key, expected=short(value),
                                observed=short(statement.get(key)),
                                refs=("%s#/%s" % (REF_STATEMENT, key),)))
    stated = statement.get("files")
    if not isinstance(stated, dict):
        return [*checks, Check("statement_files", FAIL, "signature: the statement lists no "
                               "files", refs=(REF_STATEMENT,))]
    present = venue_files(evidence)
    for path in sorted(set(present) - set(stated)):
        checks.append(Check("unstated", FAIL, "signature: %s is not in the venue's statement"
                            % path, refs=(path, REF_STATEMENT)))
    for path in sorted(set(stated) - set(present)):
        checks.append(Check("stated_missing", FAIL, "signature: %s is stated by the venue but "
                            "not in the bundle" % short(path, 120), refs=(REF_STATEMENT,)))
    for path in sorted(set(stated) & set(present)):
        if stated[path] != present[path]:
            checks.append(Check("digest", FAIL, "signature: %s differs from the digest the "
                                "venue stated" % path, expected=short(stated[path]),
                                observed=str(present[path]), refs=(path, REF_STATEMENT)))
    return checks


def check_signature(evidence: Evidence, venues: Venues, host: str | None,
                    ssh_keygen: str | None = None) -> Finding:
    finding = Finding("signature")
    host = host or claimed_host(evidence)
    # Only an approved venue can be READY: elsewhere finding "venue" already says why not, and
    # the signature's state is reported without adding a reason (INFO).
    judged = host in venues.approved and host not in venues.rehearsal
    short_of = PARTIAL if judged else INFO
    pin = venues.host_keys.get(host) if host else None
    statement_bytes = evidence.bundle.data(bundle.STATEMENT)
    signature = evidence.bundle.data(bundle.STATEMENT_SIG)
    statement = evidence.doc(bundle.STATEMENT)
    manifest_format = dig(evidence.doc(bundle.MANIFEST), "format")
    finding.extra.update({
        "pinned_host_key": pin, "signed": signature is not None,
        "statement_sha256": None if statement_bytes is None
        else hashlib.sha256(statement_bytes).hexdigest(),
        "stated_host_key": dig(statement, "host_key"),
        "unsigned_reason": dig(statement, "unsigned_reason"), "verified": False})
    if statement_bytes is None:
        why = ("bundle format %s predates the venue's signature" % manifest_format
               if manifest_format == 1 else "the bundle has no signed statement (%s)"
               % REF_STATEMENT)
        if signature is not None:
            finding.add(Check("statement", FAIL, "signature: %s without %s"
                              % (REF_SIG, REF_STATEMENT), refs=(REF_SIG,)))
        finding.add(Check("signed", short_of, "%s: %s" % (REASON_UNSIGNED, why),
                          refs=(REF_STATEMENT,)))
        return finding
    checks = _statement_checks(evidence, statement)
    if signature is None:
        checks.append(Check("signed", short_of, "%s: %s" % (
            REASON_UNSIGNED, short(dig(statement, "unsigned_reason") or "no signature", 200)),
            refs=(REF_SIG,)))
    elif not pin:
        checks.append(Check("pinned", short_of, REASON_NO_HOST_KEY, expected="the venue's "
                            "public SSH host key in sandbox_attest_venue_host_key",
                            observed="signed by %s" % short(dig(statement, "host_key"), 120),
                            refs=(REF_SIG,)))
    elif not is_canonical_armour(signature):
        checks.append(Check("armour", FAIL, "signature: %s is not the signature as ssh-keygen "
                            "writes it" % REF_SIG, refs=(REF_SIG,)))
    else:
        valid, why = verify_signature(statement_bytes, signature, pin, ssh_keygen)
        stated_key = dig(statement, "host_key")
        if valid is None:
            checks.append(Check("verified", short_of, "%s: %s" % (REASON_NOT_CHECKED, why),
                                refs=(REF_SIG,)))
        elif not valid:
            other = isinstance(stated_key, str) and stated_key != pin
            checks.append(Check("verified", FAIL, REASON_OTHER_KEY if other
                                else REASON_BAD_SIGNATURE, expected=pin,
                                observed=short(stated_key if other else why, 200),
                                refs=(REF_SIG, REF_STATEMENT)))
        else:
            finding.extra["verified"] = True
            checks.append(Check("verified", PASS, "signed by the pinned host key of %s (%s)"
                                % (host, pin.split(" ")[0]), expected=pin, observed=pin,
                                refs=(REF_SIG, REF_STATEMENT)))
    for check in checks:
        finding.add(check)
    if not finding.checks:
        finding.add(Check("signed", short_of, REASON_UNSIGNED))
    return finding
