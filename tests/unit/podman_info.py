"""`podman info --format json` as the Podman test host printed it (tests/unit/data/podman-info),
and the same document with one key removed: what the facts tests and the packet's Podman
facts tests both vary."""

from __future__ import annotations

import copy
import json
from pathlib import Path

DATA = Path(__file__).resolve().parent / "data" / "podman-info"
INFO = json.loads((DATA / "info.json").read_text(encoding="utf-8"))


def key_paths(document: object, path: tuple[str, ...] = ()) -> list[tuple[str, ...]]:
    """The path of every key of the document, nested ones included."""
    if isinstance(document, dict):
        found = [(*path, key) for key in document]
        for key, value in document.items():
            found += key_paths(value, (*path, key))
        return found
    return []


def info_without(path: tuple[str, ...]) -> dict:
    """INFO with the key at path removed."""
    info = copy.deepcopy(INFO)
    parent = info
    for key in path[:-1]:
        parent = parent[key]
    del parent[path[-1]]
    return info
