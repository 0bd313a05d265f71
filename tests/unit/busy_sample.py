# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Which edits of the busy-window base the mutation test makes (deterministic, by structure).

The base (churn_capture) is mutated over its churn-bearing documents: both snapshots and the
event log. Every edit of them all costs several minutes, more than the unit tests' budget; the
edits left out repeat ones made, on objects and events the verifier treats alike:
- snapshots: every top-level leaf (format, taken_at, the ns clocks, vanished, the lists
  themselves); every leaf of each object the log names (containers with events, networks with
  events or with such a member, the probe image); of the quiet objects, the first of each kind
  and the image with the most tags;
- events: every line but exec events; of each container's health-check execs, the first (cut by
  the log's opening, for one of them), the one after it and the last (whole triples).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import evidence_mutations as em

SNAPSHOTS = ("snapshots/before.json", "snapshots/after.json")
EVENTS = "engine/events.jsonl"
KEYS = {"containers": "id", "networks": "id", "volumes": "name", "images": "id"}
EXEC_ACTIONS = frozenset({"exec_create", "exec_start", "exec_die"})


def _kept_exec_ids(events: list[dict[str, Any]]) -> set[str]:
    per_container: dict[str, list[str]] = {}
    for event in events:
        if event["action"] in EXEC_ACTIONS:
            ids = per_container.setdefault(event["id"], [])
            if event["exec_id"] not in ids:
                ids.append(event["exec_id"])
    return {exec_id for ids in per_container.values() for exec_id in ids[:2] + ids[-1:]}


def _busy_objects(events: list[dict[str, Any]], snapshot: dict[str, Any]) -> set[str]:
    busy = {str(e["id"]) for e in events}
    busy |= {str(e["container"]) for e in events if e["container"]}
    busy |= {n["id"] for n in snapshot["networks"] if busy & set(n["containers"])}
    busy |= {i["id"] for i in snapshot["images"] if i["probe_image"]}
    return busy


def _quiet_samples(snapshot: dict[str, Any], busy: set[str]) -> set[str]:
    kept = set()
    for kind, key in KEYS.items():
        quiet = [obj[key] for obj in snapshot[kind] if obj[key] not in busy]
        kept.update(quiet[:1])
    kept.add(max(snapshot["images"], key=lambda i: len(i["tags"]))["id"])
    return kept


def selection(files: dict[str, bytes]) -> Callable[[em.Mutation], bool]:
    """Whether the busy-window mutation test makes this edit."""
    events = [json.loads(line) for line in files[EVENTS].decode("utf-8").splitlines()]
    kept_execs = _kept_exec_ids(events)
    lines = {"%s#%d" % (EVENTS, n) for n, e in enumerate(events)
             if e["action"] not in EXEC_ACTIONS or e["exec_id"] in kept_execs}
    entries: dict[str, set[str]] = {}
    for path in SNAPSHOTS:
        snapshot = json.loads(files[path])
        busy = _busy_objects(events, snapshot)
        entries[path] = busy | _quiet_samples(snapshot, busy)
    documents = {path: json.loads(files[path]) for path in SNAPSHOTS}

    def kept(mutation: em.Mutation) -> bool:
        if mutation.file == EVENTS:
            return mutation.document in lines
        if mutation.file not in SNAPSHOTS:
            return False
        if len(mutation.path) < 2 or mutation.path[0] not in KEYS:
            return True
        kind, index = mutation.path[0], mutation.path[1]
        entry = documents[mutation.file][kind][index]
        return entry[KEYS[kind]] in entries[mutation.file]
    return kept
