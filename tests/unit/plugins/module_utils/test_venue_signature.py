"""The venue's side of issue 17: which host key signs, and what an unsigned statement says.
Real keys and ssh-keygen; the host key directory is a test one (the glob is a parameter)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.module_utils import _venue_signature as signing

FILES = {"run.json": b"{}\n", "identities/root/stderr.txt": b""}
FINGERPRINT = "sha256:" + "a" * 64


def _host_keys(tmp_path, *names: str) -> str:
    """A directory of host keys (copies of the test keys) as /etc/ssh holds them."""
    for number, name in enumerate(names):
        target = tmp_path / ("ssh_host_%d_key" % number)
        shutil.copy(eb.host_key(name)[0], target)
        os.chmod(target, 0o600)
    return str(tmp_path / "ssh_host_*_key")


def test_the_host_key_whose_public_half_is_the_pin_signs(tmp_path) -> None:
    pattern = _host_keys(tmp_path, "another-host", "venue")
    sealed = signing.seal(FILES, eb.RUN_ID, FINGERPRINT, eb.host_key()[1], pattern=pattern)
    statement = json.loads(sealed[signing.STATEMENT])
    assert statement["unsigned_reason"] is None and statement["host_key"] == eb.host_key()[1]
    assert statement["files"] == {p: eb.sha256(d) for p, d in FILES.items()}
    allowed = tmp_path / "allowed"
    allowed.write_text('v namespaces="%s" %s\n' % (signing.NAMESPACE, eb.host_key()[1]))
    (tmp_path / "sig").write_bytes(sealed[signing.STATEMENT_SIG])
    verified = subprocess.run(["ssh-keygen", "-Y", "verify", "-f", str(allowed), "-I", "v",
                               "-n", signing.NAMESPACE, "-s", str(tmp_path / "sig")],
                              input=sealed[signing.STATEMENT], capture_output=True, check=False)
    assert verified.returncode == 0, verified.stderr


def test_no_matching_host_key_leaves_it_unsigned_saying_why(tmp_path) -> None:
    cases = {
        "no host key pinned for this venue": (None, _host_keys(tmp_path, "venue")),
        "is the pinned one": (eb.host_key("another-host")[1], str(tmp_path / "ssh_host_*_key")),
        "no SSH host key on this host": (eb.host_key()[1], str(tmp_path / "none_*_key")),
    }
    for why, (pin, pattern) in cases.items():
        sealed = signing.seal(FILES, eb.RUN_ID, FINGERPRINT, pin, pattern=pattern)
        assert signing.STATEMENT_SIG not in sealed
        assert why in json.loads(sealed[signing.STATEMENT])["unsigned_reason"]


def test_no_ssh_keygen_leaves_it_unsigned(tmp_path) -> None:
    sealed = signing.seal(FILES, eb.RUN_ID, FINGERPRINT, eb.host_key()[1],
                          ssh_keygen=str(tmp_path / "no-ssh-keygen"),
                          pattern=_host_keys(tmp_path, "venue"))
    assert signing.STATEMENT_SIG not in sealed
    assert json.loads(sealed[signing.STATEMENT])["unsigned_reason"].startswith(
        "ssh-keygen cannot be run")
