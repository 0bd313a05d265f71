"""Property (seeded random, issue 13): random bytes, truncations and re-encodings of each
evidence file never give a traceback, never leave the earlier READY verdict behind, and always
give valid JSON, Markdown and JUnit."""

from __future__ import annotations

import json
import os
import random
import re
import xml.etree.ElementTree as ET

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import STATUS_READY
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    clear_outputs,
    write_outputs,
)

SEED = 13
CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f]")


def _random_bytes(rng: random.Random, data: bytes) -> bytes:
    return bytes(rng.randrange(256) for dummy in range(rng.randrange(1, 64)))


def _truncated(rng: random.Random, data: bytes) -> bytes:
    return data[:rng.randrange(len(data))] if data else b"\xff"


def _reencoded(rng: random.Random, data: bytes) -> bytes:
    text = data.decode("utf-8", "replace")
    return text.encode(rng.choice(["utf-16", "utf-32", "utf-8-sig", "cp1252"]), "replace")


def _spliced(rng: random.Random, data: bytes) -> bytes:
    """A few bytes at a random place: a lone surrogate escape, a control character, \\xff."""
    at = rng.randrange(len(data) + 1)
    piece = rng.choice([b"\\ud800", b"\x00\x1b", b"\xff\xfe", b"\xe2\x80\xae"])
    return data[:at] + piece + data[at:]


MUTATIONS = (_random_bytes, _truncated, _reencoded, _spliced)


def _files(bundle: str) -> list[str]:
    return sorted(os.path.relpath(os.path.join(d, n), bundle)
                  for d, dummy, names in os.walk(bundle) for n in names)


def _check_outputs(paths: dict[str, str], status: str, verified_at: str) -> None:
    for name in ("verdict.json", "statement.intoto.json", "vsa.intoto.json"):
        with open(paths[name], "rb") as handle:
            document = json.loads(handle.read().decode("utf-8"))
        if name == "verdict.json":
            assert (document["status"], document["verified_at"]) == (status, verified_at)
    with open(paths["junit.xml"], "rb") as handle:
        ET.fromstring(handle.read())  # noqa: S314 - the verifier's own output
    with open(paths["report.md"], "rb") as handle:
        assert not CONTROL.search(handle.read().decode("utf-8"))


def test_mutated_evidence_always_gives_fresh_valid_outputs(model, write_bundle, verify,
                                                           tmp_path) -> None:
    rng = random.Random(SEED)  # noqa: S311 - reproducible test input, not a secret
    template = write_bundle(model)
    ready = verify(template)
    assert ready.status == STATUS_READY
    cases = 0
    for rel in _files(template):
        for mutate in rng.sample(MUTATIONS, 2):
            bundle = write_bundle(model)
            dest = str(tmp_path / ("dest%d" % cases))
            write_outputs(ready, bundle, dest)  # an earlier READY verification
            path = os.path.join(bundle, rel)
            with open(path, "rb") as handle:
                data = handle.read()
            mutated = mutate(rng, data)
            if mutated == data:
                continue
            with open(path, "wb") as handle:
                handle.write(mutated)
            if rng.random() < 0.5 and rel != "manifest.json":
                eb.write_manifest(bundle)
            clear_outputs(bundle, dest)
            verdict = verify(bundle, now="2026-11-28T23:00:01Z")
            _check_outputs(write_outputs(verdict, bundle, dest), verdict.status,
                           "2026-11-28T23:00:01Z")
            cases += 1
    assert cases >= 30, cases
