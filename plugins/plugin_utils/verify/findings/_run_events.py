# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "run_events": the event log is the engine's, and this run's part of it is exact.

Every event has the shape the runtime's EVENT_TEMPLATE prints (module_utils/_snapshot.py,
_snapshot_podman.py; verify/_event_vocabulary.py): Docker's a container's or network's full ID,
a `container` only on a network or volume event, an exec ID only on an exec event and a command
digest only where the template prints one. This run's containers each have exactly the events a
run of the profile makes: Docker's create, start, die, destroy and a connect and a disconnect
on the `none` network; Podman's create, init, start, died, cleanup, remove and no network event
(and kill when the time bound was hit), under their own names. Departures fail: the log was
edited, or the run did more than it records.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_log import (
    may_be_cut,
    replayed_problem,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    VOCABULARIES,
    Vocabulary,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list, dig, short

EVENTS = "engine/events.jsonl"
_FULL_ID = re.compile(r"^[0-9a-f]{64}$")
RUN_NETWORK = "none"


def _shape_problem(event: Any, words: Vocabulary) -> str | None:
    if not isinstance(event, dict):
        return "not an object"
    kind, action = event.get("type"), event.get("action")
    if kind not in words.types:
        return "type %s" % short(kind, 40)
    if kind in words.id_types and not _FULL_ID.match(str(event.get("id"))):
        return "%s ID %s is not a full ID" % (kind, short(event.get("id"), 70))
    if not words.load_names_image and kind == "network" and event.get("id") != "":
        return "network event with an ID %s (Podman names none)" % short(event.get("id"), 70)
    if (event.get("container") is not None) != (kind in words.member_types
                                                and action not in words.member_exempt):
        return "%s %s with container %s" % (kind, action, short(event.get("container"), 70))
    if event.get("container") is not None and not _FULL_ID.match(str(event.get("container"))):
        return "container %s is not a full ID" % short(event.get("container"), 70)
    if (event.get("exec_id") is not None) != (kind == "container"
                                              and action in words.exec_actions):
        return "%s %s with exec_id %s" % (kind, action, short(event.get("exec_id"), 70))
    if (event.get("command_sha256") is not None) != (kind == "container"
                                                     and action in words.command_actions):
        return "%s %s with command digest %s" % (kind, action,
                                                 short(event.get("command_sha256"), 70))
    return None


def _none_network(evidence: Evidence) -> set[str]:
    return {str(net.get("id")) for path in ("snapshots/before.json", "snapshots/after.json")
            for net in as_list(dig(evidence.doc(path), "networks"))
            if isinstance(net, dict) and net.get("name") == RUN_NETWORK}


def _only_fewer(seen: Counter, wanted: Counter) -> bool:
    return all(seen[action] <= wanted[action] for action in seen)


def _run_container_problems(events: list[dict[str, Any]], cid: str, name: str,
                            timed_out: bool, networks: set[str], truncated: bool,
                            words: Vocabulary) -> tuple[list[str], list[str]]:
    """This run's container: exactly the events a run of the profile makes. (Departures, and
    events only missing from a log the engine may have cut: see verify/_event_log.py.)"""
    own = [e for e in events if e.get("id") == cid or e.get("name") == name]
    member = [e for e in events if e.get("container") == cid]
    problems: list[str] = []
    missing: list[str] = []
    wanted = Counter(words.run_container + (("kill",) if timed_out else ()))
    seen = Counter(str(e.get("action")) for e in own)
    foreign = any(e.get("type") != "container" or e.get("id") != cid or e.get("name") != name
                  for e in own)
    if seen != wanted or foreign:
        text = "%s: events %s, expected %s" % (
            name, short(sorted(seen.elements()), 200), sorted(wanted.elements()))
        (missing if truncated and not foreign and _only_fewer(seen, wanted)
         else problems).append(text)
    seen_net = Counter(str(e.get("action")) for e in member)
    foreign = any(e.get("type") != "network" or e.get("name") != RUN_NETWORK
                  or e.get("id") not in networks for e in member)
    if seen_net != Counter(words.run_network) or foreign:
        text = "%s: network events %s, expected %s" % (
            name, short(sorted(seen_net.elements()), 200),
            "a connect and a disconnect on %s" % RUN_NETWORK if words.run_network else "none")
        (missing if truncated and not foreign
         and _only_fewer(seen_net, Counter(words.run_network)) else problems).append(text)
    return problems, missing


def check_run_events(evidence: Evidence, identities: list[str]) -> Finding:
    finding = Finding("run_events")
    events = evidence.doc(EVENTS)
    if not isinstance(events, list):
        finding.add(Check("events", MISSING, "no engine event log", refs=(EVENTS,)))
        return finding
    problems = []
    words = VOCABULARIES[evidence.runtime()]
    for number, event in enumerate(events, 1):
        problem = _shape_problem(event, words)
        if problem:
            problems.append("line %d: %s" % (number, problem))
    shaped = [e for e in events if isinstance(e, dict)]
    replayed = replayed_problem(evidence)
    if replayed:
        problems.append(replayed)
    run_id = dig(evidence.doc("run.json"), "run_id")
    networks = _none_network(evidence)
    # A log as long as the engine replays may have lost its oldest events, this run's first
    # ones among them: events only missing then are insufficient evidence, not a departure.
    truncated = may_be_cut(evidence)
    missing: list[str] = []
    for identity in identities:
        result = evidence.identity_doc(identity, "result.json")
        cid = dig(result, "container_id")
        try:
            name = _profile.container_name(run_id, identity)
        except _profile.ProfileError:
            continue  # the run id is the schema's and provenance's to report
        if isinstance(cid, str):
            found, lost = _run_container_problems(shaped, cid, name,
                                                  dig(result, "timed_out") is True, networks,
                                                  truncated, words)
            problems += found
            missing += lost
    if missing:
        finding.add(Check("events_missing", PARTIAL, "engine/events.jsonl holds %d events, as "
                          "many as the engine replays, and lacks some of this run's: %s"
                          % (len(events), "; ".join(missing[:4])), refs=(EVENTS,)))
    if problems:
        finding.add(Check("events", FAIL, "engine/events.jsonl: %s" % "; ".join(problems[:6]) + (
            "; %d more" % (len(problems) - 6) if len(problems) > 6 else ""), refs=(EVENTS,)))
    elif not missing:
        finding.add(Check("events", PASS, "the event log has the engine's shape, and this run's "
                          "containers exactly the events of their run", refs=(EVENTS,)))
    return finding
