# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "run_times": every time of the bundle in the order a run makes them.

A run opens its window (run.json started_at), snapshots, runs each identity (result.json
started_at..finished_at), snapshots again and closes the window (finished_at); the event log
runs from the opening to a second or two past the close. Every time must parse, keep that order,
fall inside the window, and the window must be one run's (after the format existed, at most
_times.MAX_RUN_S long) and not after the verification beyond _times.CLOCK_SKEW_S.
"""

from __future__ import annotations

import datetime
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._times import (
    CLOCK_SKEW_S,
    EVENT_MARGIN_NS,
    FORMAT_EPOCH,
    MAX_RUN_S,
    format_time,
    parse_time,
    to_ns,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import dig, short

SNAPSHOTS = ("snapshots/before.json", "snapshots/after.json")


def _window_problems(evidence: Evidence, now: datetime.datetime | None) -> tuple[
        list[str], datetime.datetime | None, datetime.datetime | None]:
    run = evidence.doc("run.json")
    opened, closed = parse_time(dig(run, "started_at")), parse_time(dig(run, "finished_at"))
    if opened is None or closed is None:
        return ["run.json's window %s..%s is not two UTC RFC 3339 times" % (
            short(dig(run, "started_at")), short(dig(run, "finished_at")))], None, None
    problems = []
    if closed < opened:
        problems.append("run.json finished_at %s is before started_at %s" % (
            dig(run, "finished_at"), dig(run, "started_at")))
    if opened < FORMAT_EPOCH:
        problems.append("run.json started_at %s is before this bundle format existed" %
                        dig(run, "started_at"))
    if (closed - opened).total_seconds() > MAX_RUN_S:
        problems.append("a run window of %s is not one run's (at most %d s)" % (
            closed - opened, MAX_RUN_S))
    if now is not None and (closed - now).total_seconds() > CLOCK_SKEW_S:
        problems.append("run.json finished_at %s is after this verification (%s) by more than "
                        "the %d s clock-skew allowance" % (
                            dig(run, "finished_at"), format_time(now),
                            CLOCK_SKEW_S))
    return problems, opened, closed


def _sequence_problems(evidence: Evidence, identities: list[str], opened: datetime.datetime,
                       closed: datetime.datetime) -> list[str]:
    """opened <= before <= each identity's start <= its finish <= after <= closed."""
    run = evidence.doc("run.json")
    sequence: list[tuple[str, Any]] = [
        ("run.json started_at", dig(run, "started_at")),
        ("snapshots/before.json taken_at", dig(evidence.doc(SNAPSHOTS[0]), "taken_at"))]
    for identity in identities:
        result = evidence.identity_doc(identity, "result.json")
        sequence += [("%s started_at" % identity, dig(result, "started_at")),
                     ("%s finished_at" % identity, dig(result, "finished_at"))]
    sequence += [("snapshots/after.json taken_at", dig(evidence.doc(SNAPSHOTS[1]), "taken_at")),
                 ("run.json finished_at", dig(evidence.doc("run.json"), "finished_at"))]
    problems = []
    previous: tuple[str, datetime.datetime] | None = None
    for label, value in sequence:
        if value is None:
            continue  # a record that is absent is the schema's and provenance's to report
        moment = parse_time(value)
        if moment is None:
            problems.append("%s %s is not a UTC RFC 3339 time" % (label, short(value)))
            continue
        if not opened <= moment <= closed:
            problems.append("%s %s is outside the run window" % (label, value))
        if previous is not None and moment < previous[1]:
            problems.append("%s %s is before %s" % (label, value, previous[0]))
        previous = (label, moment)
    return problems


def _clock_problems(evidence: Evidence, opened: datetime.datetime,
                    closed: datetime.datetime) -> list[str]:
    """The engine host's nanosecond clock (snapshots, events) within the window."""
    low, high = to_ns(opened), to_ns(closed) + EVENT_MARGIN_NS
    problems = []
    for path in SNAPSHOTS:
        started, finished = (dig(evidence.doc(path), key) for key in ("started_ns", "finished_ns"))
        if started is None and finished is None:
            continue  # format 1 records neither
        if not (isinstance(started, int) and isinstance(finished, int)
                and low <= started <= finished <= high):
            problems.append("%s ran %s..%s ns, outside the run window" % (
                path, short(started), short(finished)))
    for number, event in enumerate(evidence.doc("engine/events.jsonl") or [], 1):
        nano = dig(event, "time_nano")
        if not isinstance(nano, int) or isinstance(nano, bool) or not low <= nano <= high:
            problems.append("engine/events.jsonl line %d at %s ns is outside the run window"
                            % (number, short(nano)))
    return problems


def _between_snapshots_problems(evidence: Evidence, identities: list[str]) -> list[str]:
    """This run's containers live between the snapshots: neither lists them, and the run
    creates them after the first finished and removes them before the second starts (same
    clock). An event of theirs outside that span contradicts the snapshots' clocks."""
    before, after = (evidence.doc(path) for path in SNAPSHOTS)
    opens, closes = dig(before, "finished_ns"), dig(after, "started_ns")
    if not (isinstance(opens, int) and isinstance(closes, int)):
        return []  # format 1 records neither
    ours = {dig(evidence.identity_doc(identity, "result.json"), "container_id")
            for identity in identities} - {None}
    problems = []
    for number, event in enumerate(evidence.doc("engine/events.jsonl") or [], 1):
        nano = dig(event, "time_nano")
        if (dig(event, "id") in ours or dig(event, "container") in ours) \
                and isinstance(nano, int) and not opens <= nano <= closes:
            problems.append("engine/events.jsonl line %d (%s of this run's container) at %s ns "
                            "is not between the snapshots (%s..%s ns)"
                            % (number, short(dig(event, "action")), nano, opens, closes))
    return problems


def check_run_times(evidence: Evidence, identities: list[str], verified_at: str) -> Finding:
    finding = Finding("run_times")
    problems, opened, closed = _window_problems(evidence, parse_time(verified_at))
    if opened is not None and closed is not None:
        problems += _sequence_problems(evidence, identities, opened, closed)
        problems += _clock_problems(evidence, opened, closed)
        problems += _between_snapshots_problems(evidence, identities)
    refs = ("run.json", *SNAPSHOTS, "engine/events.jsonl")
    if problems:
        finding.add(Check("times", FAIL, "times: %s" % "; ".join(problems[:8]) + (
            "; %d more" % (len(problems) - 8) if len(problems) > 8 else ""), refs=refs))
    else:
        finding.add(Check("times", PASS, "every time in order, inside the run window, not after "
                          "the verification", refs=refs))
    return finding
