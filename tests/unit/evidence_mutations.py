# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Every single-leaf edit of a bundle's JSON evidence, type-aware (the evidence mutation test).

A leaf is a scalar, a list or an object inside one evidence document; a probe line counts as a
document of its own (`identities/<identity>/probe.jsonl#<probe>`), as does each event line
(`engine/events.jsonl#<n>`). Each leaf gets the edits its type allows, one at a time:
booleans flipped, numbers changed, strings altered (the last character replaced by another of
its class, so the format holds and only the value differs), null given a value, lists emptied
and extended (by a copy of their last element: a duplicate is the hardest extension to see),
objects given an extra key. The edited bundle is written as a producer writes one (the
collection's bundle writer, manifest recomputed), so only the verifier's semantic checks can
tell.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _json

# Each is one path within a document: keys and list indexes, from the document's root.
Path = tuple[Any, ...]

EXTRA_KEY = "mutant"
_ALPHABETS = ("0123456789", "abcdef", "ABCDEF", "ghijklmnopqrstuvwxyz", "GHIJKLMNOPQRSTUVWXYZ")


@dataclass(frozen=True)
class Mutation:
    """One edit of one leaf: where (file, document, path) and how."""

    file: str
    document: str
    path: Path
    kind: str

    @property
    def leaf(self) -> str:
        """The leaf's exact path, as the allowed-leaves data names it."""
        return self.document + "".join(
            "[%d]" % step if isinstance(step, int) else ".%s" % step for step in self.path)


def _altered(text: str) -> str:
    if not text:
        return "x"
    last = text[-1]
    for alphabet in _ALPHABETS:
        if last in alphabet:
            return text[:-1] + alphabet[(alphabet.index(last) + 1) % len(alphabet)]
    return text[:-1] + ("x" if last != "x" else "y")


def _kinds(value: Any) -> tuple[str, ...]:
    if isinstance(value, bool):
        return ("flipped",)
    if isinstance(value, (int, float)):
        return ("changed",)
    if isinstance(value, str):
        return ("altered",)
    if value is None:
        return ("given a value",)
    if isinstance(value, list):
        return ("emptied", "extended") if value else ("extended",)
    if isinstance(value, dict):
        return ("given an extra key",)
    raise TypeError("not a JSON value: %r" % (value,))


def mutated_value(value: Any, kind: str) -> Any:
    if kind == "flipped":
        return not value
    if kind == "changed":
        return value + 1
    if kind == "altered":
        return _altered(value)
    if kind == "given a value":
        return "mutant"
    if kind == "emptied":
        return []
    if kind == "extended":
        return [*value, copy.deepcopy(value[-1]) if value else "mutant"]
    if kind == "given an extra key":
        return {**value, EXTRA_KEY: "mutant"}
    raise ValueError(kind)


def _leaves(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict):
        for key, item in value.items():
            yield from _leaves(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _leaves(item, (*path, index))


def _documents(files: dict[str, bytes]) -> Iterator[tuple[str, str, Any]]:
    """(file, document name, parsed document) for every JSON document of the evidence."""
    for path in sorted(files):
        if path == "manifest.json" or path.startswith("signature/"):
            # Recomputed for every edit (the manifest by the writer, the venue's signed
            # statement by the venue's key, as a root operator on the venue could): the edit is
            # what the verifier's semantic checks must catch. tests/unit/plugins/plugin_utils/
            # verify/test_signature.py changes bytes without re-signing.
            continue
        if path.endswith(".jsonl"):
            for number, line in enumerate(files[path].decode("utf-8").splitlines()):
                document = json.loads(line)
                name = document.get("probe") if path.endswith("probe.jsonl") else number
                yield path, "%s#%s" % (path, name), document
        elif path.endswith(".json"):
            yield path, path, json.loads(files[path])


def mutations(files: dict[str, bytes]) -> Iterator[Mutation]:
    for file, name, document in _documents(files):
        for path, value in _leaves(document):
            for kind in _kinds(value):
                yield Mutation(file, name, path, kind)


def _replace(document: Any, path: Path, value: Any) -> Any:
    if not path:
        return value
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    parent[path[-1]] = value
    return document


def _serialise_like(original: bytes, document: Any) -> bytes:
    """The document in the same serialisation as the file it came from."""
    text = original.decode("utf-8")
    if "\n" not in text.rstrip("\n"):
        compact = _json.canonical_text(document)
        return (compact + "\n" if text.endswith("\n") else compact).encode("utf-8")
    return (json.dumps(document, indent=2, sort_keys=True) + "\n").encode("utf-8")


def apply(files: dict[str, bytes], mutation: Mutation) -> dict[str, bytes]:
    """The bundle's files with one leaf edited (manifest.json left out: the writer makes it)."""
    edited = {path: data for path, data in files.items() if path != "manifest.json"}
    original = files[mutation.file]
    if "#" not in mutation.document:
        document = copy.deepcopy(json.loads(original))
        value = mutated_value(_get(document, mutation.path), mutation.kind)
        edited[mutation.file] = _serialise_like(original, _replace(document, mutation.path, value))
        return edited
    selector = mutation.document.split("#", 1)[1]
    lines = original.decode("utf-8").splitlines()
    out = []
    for number, line in enumerate(lines):
        document = json.loads(line)
        name = document.get("probe") if mutation.file.endswith("probe.jsonl") else number
        if str(name) == selector:
            value = mutated_value(_get(document, mutation.path), mutation.kind)
            document = _replace(document, mutation.path, value)
            line = (json.dumps(document, separators=(",", ":"))
                    if mutation.file.endswith("probe.jsonl")
                    else json.dumps(document, sort_keys=True))
        out.append(line + "\n")
    edited[mutation.file] = "".join(out).encode("utf-8")
    return edited


def _get(document: Any, path: Path) -> Any:
    for step in path:
        document = document[step]
    return document
