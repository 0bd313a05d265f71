"""Hostile evidence: huge, deep, flooding or malformed input is FAILED with a finding, never a
traceback."""

from __future__ import annotations

import os

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import STATUS_FAILED

DEEP = b"[" * 200000 + b"]" * 200000
HOSTILE_CONTENT = {
    "deeply nested JSON": ("run.json", DEEP),
    "deeply nested JSON line": ("identities/root/probe.jsonl", DEEP + b"\n"),
    "a huge number": ("venue.json", b'{"format": 1e999999999}'),
    "NaN": ("engine/facts.json", b'{"format": NaN}'),
    "non-UTF-8 JSON": ("snapshots/after.json", b'{"format": "\xff\xfe"}'),
    "a lone surrogate": ("identities/workload/result.json", b'{"format": "\\ud800"}'),
    "an empty file": ("identities/workload/inspect.json", b""),
    "a NUL in a line": ("engine/events.jsonl", b'{"time_nano": 1\x00}\n'),
}


@pytest.mark.parametrize("case", sorted(HOSTILE_CONTENT))
def test_hostile_content_is_failed_not_a_crash(case, bundle, verify) -> None:
    path, data = HOSTILE_CONTENT[case]
    with open(os.path.join(bundle, path), "wb") as handle:
        handle.write(data)
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED, case
    assert verdict.failed_finding_names(), case


def test_a_huge_probe_output_is_failed(bundle, verify) -> None:
    path = os.path.join(bundle, "identities", "workload", "probe.jsonl")
    with open(path, "ab") as handle:
        chunk = b'{"probe":"PR-NET-1","obs":[]}\n' * 4096
        for dummy in range(300):  # ~36 MiB, over the parse bound
            handle.write(chunk)
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED


def test_a_flood_of_files_is_failed(bundle, verify) -> None:
    flood = os.path.join(bundle, "identities", "root", "out")
    for i in range(5000):
        with open(os.path.join(flood, "f%05d" % i), "wb") as handle:
            handle.write(b"x")
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert "integrity" in verdict.failed_finding_names()


def test_deep_directories_are_failed(bundle, verify) -> None:
    deep = os.path.join(bundle, *["d"] * 40)
    os.makedirs(deep)
    with open(os.path.join(deep, "x"), "wb") as handle:
        handle.write(b"x")
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED


def test_a_hostile_manifest_is_failed(bundle, verify) -> None:
    with open(os.path.join(bundle, "manifest.json"), "wb") as handle:
        handle.write(b'{"format": 1, "algorithm": "sha256", "files": {"../../etc/passwd": "'
                     + b"0" * 64 + b'", "/etc/shadow": "' + b"0" * 64 + b'"}}')
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    assert "integrity" in verdict.failed_finding_names()
