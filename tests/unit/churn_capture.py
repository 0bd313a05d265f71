# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A builder bundle with a busy host's run window: real snapshots and events with churn.

tests/unit/data/churn-30/ holds the two snapshots and the event log of a real run of
playbooks/attest.yml on an engine holding the lived-in host fixture (size 30: health-checked
containers, a crash-looping one under on-failure, a compose project, …; provenance in
tests/unit/data/README.md). make_churn_model puts them into the builder's bundle
(evidence_builder.make_model): the run's container IDs, run id and probe image are rewritten to
the builder's, and every clock moved by one constant to the builder's day, so the bundle is
the builder's in all but its host's activity, and verifies READY like it.
"""

from __future__ import annotations

import datetime
import json
import os
from typing import Any

import evidence_builder as eb

DIRECTORY = os.path.join(eb.DATA, "churn-30")
RUN_ID = "20261130T002205Z-3fbd8e5b"
IDS = {
    "workload": "4fa343109a5ba07b3621fb70274a1b11622b9eac503f49c48e8a112fa6d39c40",
    "root": "275c8aa6e7145403fa682dad613ddb80ec0be19e12c44451725bac1b27dd972d",
}
IMAGE_HEX = "66046597ca4315f35cd5e212883a9e504a9d8dca339226ae711dd2377fe092b7"
# The capture's run.json window, and each identity's result.json times and probe META time.
WINDOW = ("2026-11-30T00:22:05Z", "2026-11-30T00:22:19Z")
IDENTITY_TIMES = {
    "workload": ("2026-11-30T00:22:14Z", "2026-11-30T00:22:14Z", "2026-11-30T00:22:14Z"),
    "root": ("2026-11-30T00:22:15Z", "2026-11-30T00:22:16Z", "2026-11-30T00:22:16Z"),
}
# The builder's window opens where its run id says (evidence_builder.RUN_ID).
BUILDER_OPENS = "2026-11-28T22:31:31Z"
_FORMAT = "%Y-%m-%dT%H:%M:%SZ"
# A container never started reports the zero time; it is not a clock reading.
_ZERO_TIME = "0001-01-01T00:00:00Z"


def _moment(text: str) -> datetime.datetime:
    return datetime.datetime.strptime(text, _FORMAT).replace(tzinfo=datetime.UTC)


SHIFT = _moment(BUILDER_OPENS) - _moment(WINDOW[0])
SHIFT_NS = int(SHIFT.total_seconds()) * 1_000_000_000


def shifted(text: str) -> str:
    """An RFC 3339 time (a fraction kept as it is) moved to the builder's day."""
    if text == _ZERO_TIME:
        return text
    whole, dot, fraction = text.rstrip("Z").partition(".")
    moved = (_moment(whole + "Z") + SHIFT).strftime(_FORMAT)
    return moved[:-1] + dot + fraction + "Z"


def _rewritten(text: str, image_id: str) -> str:
    for identity, captured in IDS.items():
        cid = eb.container_id(identity)
        text = text.replace(captured, cid).replace(captured[:12], cid[:12])
    image_hex = image_id.split(":", 1)[1]
    text = text.replace(IMAGE_HEX, image_hex).replace(IMAGE_HEX[:12], image_hex[:12])
    return text.replace(RUN_ID, eb.RUN_ID)


def _read(name: str, image_id: str) -> str:
    with open(os.path.join(DIRECTORY, name), encoding="utf-8") as handle:
        return _rewritten(handle.read(), image_id)


def snapshot(name: str, image_id: str) -> dict[str, Any]:
    document = json.loads(_read(name, image_id))
    document["taken_at"] = shifted(document["taken_at"])
    document["started_ns"] += SHIFT_NS
    document["finished_ns"] += SHIFT_NS
    for container in document["containers"]:
        container["started_at"] = shifted(container["started_at"])
    return document


def events(image_id: str) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in _read("events.jsonl", image_id).splitlines()]
    for event in lines:
        event["time_nano"] += SHIFT_NS
    return lines


def make_churn_model(probe_path: str, image_id: str, probe_sha: str) -> eb.EvidenceModel:
    """The builder's bundle with the captured busy window (its run's own events included)."""
    model = eb.make_model(probe_path, image_id, probe_sha)
    docs = model.docs
    docs["run.json"]["started_at"], docs["run.json"]["finished_at"] = map(shifted, WINDOW)
    docs["snapshots/before.json"] = snapshot("before.json", image_id)
    docs["snapshots/after.json"] = snapshot("after.json", image_id)
    docs["engine/events.jsonl"] = events(image_id)
    for identity, (started, finished, meta) in IDENTITY_TIMES.items():
        result = docs["identities/%s/result.json" % identity]
        result["started_at"], result["finished_at"] = shifted(started), shifted(finished)
        model.probe(identity, "META")["time"] = shifted(meta)
    return model
