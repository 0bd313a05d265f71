"""Malformed input of every shape, in every file: a finding, never a crash, never READY."""

from __future__ import annotations

import os

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import STATUS_READY
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    render_outputs,
)

SHAPES = [b"null", b"0", b'""', b"[]", b"{}", b"[[]]", b"[null]", b'{"format": 1}', b"true"]


def _files(bundle: str) -> list[str]:
    found = []
    for directory, dummy, names in os.walk(bundle):
        for name in names:
            rel = os.path.relpath(os.path.join(directory, name), bundle)
            if rel != "manifest.json":
                found.append(rel)
    return sorted(found)


def _internal(verdict) -> list[str]:
    return [c.message for f in verdict.findings for c in f.checks if c.id == "internal"]


def test_every_file_truncated(model, write_bundle, verify) -> None:
    template = write_bundle(model)
    for rel in _files(template):
        bundle = write_bundle(model)
        path = os.path.join(bundle, rel)
        with open(path, "rb") as handle:
            data = handle.read()
        with open(path, "wb") as handle:
            handle.write(data[: len(data) // 2])
        eb.write_manifest(bundle)
        verdict = verify(bundle)
        if rel.endswith("stderr.txt"):
            continue  # empty either way
        assert verdict.status != STATUS_READY, rel
        assert not _internal(verdict), (rel, _internal(verdict))
        render_outputs(verdict)


@pytest.mark.parametrize("shape", SHAPES)
def test_every_json_file_replaced_by_a_wrong_shape(shape, model, write_bundle, verify) -> None:
    template = write_bundle(model)
    for rel in _files(template):
        if not rel.endswith((".json", ".jsonl")):
            continue
        bundle = write_bundle(model)
        with open(os.path.join(bundle, rel), "wb") as handle:
            handle.write(shape + b"\n")
        eb.write_manifest(bundle)
        verdict = verify(bundle)
        assert verdict.status != STATUS_READY, (rel, shape)
        assert not _internal(verdict), (rel, shape, _internal(verdict))
        render_outputs(verdict)
