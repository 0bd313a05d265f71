"""Bundles are written once, inside their directory, with a manifest over every file."""

from __future__ import annotations

import hashlib
import json
import os

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import (
    BundleWriteError,
    check_relpath,
    write_bundle,
)


def test_manifest_lists_every_file(tmp_path) -> None:
    dest = tmp_path / "b"
    write_bundle(str(dest), {"run.json": b"{}\n", "identities/root/out/ok": b"ok\n"})
    manifest = json.loads((dest / "manifest.json").read_text())
    assert manifest["files"] == {
        "identities/root/out/ok": hashlib.sha256(b"ok\n").hexdigest(),
        "run.json": hashlib.sha256(b"{}\n").hexdigest(),
    }


def test_existing_evidence_is_never_overwritten(tmp_path) -> None:
    dest = tmp_path / "b"
    dest.mkdir()
    (dest / "run.json").write_text("old")
    with pytest.raises(BundleWriteError, match="never overwritten"):
        write_bundle(str(dest), {"run.json": b"new"})
    assert (dest / "run.json").read_text() == "old"


@pytest.mark.parametrize("path", ["/etc/passwd", "../x", "a/../../x", "manifest.json",
                                  "verification/verdict.json", "", "a//b"])
def test_paths_outside_the_bundle_are_refused(path: str) -> None:
    with pytest.raises(BundleWriteError):
        check_relpath(path)


def test_relative_destination_is_refused() -> None:
    with pytest.raises(BundleWriteError, match="absolute"):
        write_bundle("relative/dir", {"run.json": b"{}"})
    assert not os.path.exists("relative")
