# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Whether the bundle's event log may have lost the window's oldest events.

The engine replays at most its last ENGINE_EVENT_REPLAY_LIMIT events (`docker events --since`).
A log read once at the end of the window is all replay; a followed log (the automated path,
module_utils/_event_follow.py) streamed most of its events as they happened and records in
run.json `events_replayed` how many it had from the replay. As many replayed events as the
engine replays may have lost the oldest: the log then cannot show that nothing happened.
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    DOCKER,
    VOCABULARIES,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list, dig

# Docker's (the runtimes' limits: verify/_event_vocabulary.py replay_limit).
ENGINE_EVENT_REPLAY_LIMIT = DOCKER.replay_limit
EVENTS = "engine/events.jsonl"


def replayed_count(evidence: Evidence) -> int:
    """How many of the log's events the engine replayed: run.json's events_replayed when it is
    a count the log can hold, else (absent, as in the packet's bundles, or unreadable) all."""
    logged = len(as_list(evidence.doc(EVENTS)))
    recorded = dig(evidence.doc("run.json"), "events_replayed")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and 0 <= recorded <= logged:
        return recorded
    return logged


def replayed_problem(evidence: Evidence) -> str | None:
    """A recorded events_replayed the log contradicts (more than it holds)."""
    logged = len(as_list(evidence.doc(EVENTS)))
    recorded = dig(evidence.doc("run.json"), "events_replayed")
    if isinstance(recorded, int) and not isinstance(recorded, bool) and recorded > logged:
        return "run.json events_replayed %d is more than the %d events of the log" % (
            recorded, logged)
    return None


def may_be_cut(evidence: Evidence) -> bool:
    limit = VOCABULARIES[evidence.runtime()].replay_limit
    return limit is not None and replayed_count(evidence) >= limit
