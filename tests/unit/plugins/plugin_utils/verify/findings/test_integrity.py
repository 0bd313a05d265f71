"""Finding "integrity": every file against manifest.json, read without following links."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    KIND_LINK,
    read_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._integrity import (
    path_problem,
)


def _ids(verdict) -> set[str]:
    return {c.id for c in verdict.finding("integrity").not_passed()}


@pytest.mark.parametrize(("path", "ok"), [
    ("run.json", True),
    ("identities/root/out/ok", True),
    ("/etc/passwd", False),
    ("../x", False),
    ("identities/../../x", False),
    ("a//b", False),
    ("./run.json", False),
    ("manifest.json", False),
    ("verification/verdict.json", False),
    ("a\\b", False),
])
def test_manifest_paths(path, ok) -> None:
    assert (path_problem(path) is None) is ok


def test_verification_dir_is_not_evidence(bundle, verify) -> None:
    os.makedirs(os.path.join(bundle, "verification"))
    with open(os.path.join(bundle, "verification", "old.json"), "w", encoding="utf-8") as handle:
        handle.write("{}")
    assert verify(bundle).finding("integrity").outcome == "pass"


def test_a_linked_verification_dir_is_not_skipped(bundle, verify, tmp_path) -> None:
    os.symlink(str(tmp_path), os.path.join(bundle, "verification"))
    assert "linked" in _ids(verify(bundle))


def test_a_linked_directory_is_not_followed(bundle, verify, tmp_path) -> None:
    identity = os.path.join(bundle, "identities", "root")
    os.replace(identity, str(tmp_path / "root-elsewhere"))
    os.symlink(str(tmp_path / "root-elsewhere"), identity)
    bundle_read = read_bundle(bundle)
    assert bundle_read.entries["identities/root"].kind == KIND_LINK
    assert not any(p.startswith("identities/root/") for p in bundle_read.entries)
    assert "linked" in _ids(verify(bundle))


def test_missing_manifest(bundle, verify) -> None:
    os.unlink(os.path.join(bundle, "manifest.json"))
    verdict = verify(bundle)
    assert "manifest" in _ids(verdict)
    assert verdict.status == "SANDBOX_ATTESTATION_FAILED"


def test_wrong_algorithm(bundle, verify) -> None:
    path = os.path.join(bundle, "manifest.json")
    with open(path, encoding="utf-8") as handle:
        manifest = json.load(handle)
    manifest["algorithm"] = "md5"
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(manifest, handle)
    assert "manifest" in _ids(verify(bundle))


def test_each_class_is_named(bundle, verify) -> None:
    os.unlink(os.path.join(bundle, "venue.json"))
    with open(os.path.join(bundle, "extra.txt"), "w", encoding="utf-8") as handle:
        handle.write("x")
    with open(os.path.join(bundle, "run.json"), "a", encoding="utf-8") as handle:
        handle.write(" ")
    assert {"missing", "extra", "changed"} <= _ids(verify(bundle))
