# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Follow the engine's event log live for the whole run window.

The engine replays at most its last 256 events (measured on Docker 20.10: a window of 260 on a
1,000-object host lost its oldest), so a log read once at the end of a busy window may miss the
window's first events. A follower subscribes when the window opens (`docker events --since
<opening>`, no --until: the engine replays what it still holds since the opening, then streams
each event as it logs it) and ends when its stop file appears: it keeps reading until the
engine's clock is past the window's close, then fills the tail from the replay (events the
stream had not delivered yet), so the log holds every event of the window however many.

What the engine replayed (events from before the subscription, and the tail) is counted: a
replayed part as long as the engine's replay limit may have lost its oldest events, and the
verifier judges that as it judges a log read once (module_utils has no verdict of its own).

The follower changes nothing on the host: it reads. It ends on its own when the directory it
watches (the run directory) is removed - by the cleanup of a failed or interrupted run - or at
its deadline, so an abandoned follower never outlives its run.
"""

from __future__ import annotations

import json
import os
import select
import subprocess
import time

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import (
    EVENT_TEMPLATE,
    events_until_ns,
)

POLL_S = 0.1


def ns_text(ns: int) -> str:
    """ns since the epoch as the CLI's --since/--until read it: seconds.nanoseconds."""
    return "%d.%09d" % (ns // 1_000_000_000, ns % 1_000_000_000)


def time_nano(line: str) -> int | None:
    """The time_nano of one EVENT_TEMPLATE line (its JSON head), or None when unreadable."""
    try:
        value = json.loads(line.partition("\t")[0]).get("time_nano")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


class _Stream:
    """`docker events --since` without --until: its complete lines, as they arrive."""

    def __init__(self, engine_cli: str, since: str) -> None:
        try:
            self.proc = subprocess.Popen(  # argv list, never a shell
                [engine_cli, "events", "--since", since, "--format", EVENT_TEMPLATE],
                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        except FileNotFoundError as exc:
            raise EngineError("engine CLI %r not found on the target: %s"
                              % (engine_cli, exc)) from exc
        # When the first output arrived: the CLI had subscribed by then, so an event logged
        # later was streamed, not replayed (the engine's clock is this host's: it is local).
        self.first_output_ns: int | None = None
        self._pending = b""
        self.lines: list[str] = []

    def read(self, timeout_s: float) -> None:
        ready = select.select([self.proc.stdout], [], [], timeout_s)[0]
        if not ready:
            return
        chunk = os.read(self.proc.stdout.fileno(), 1 << 16)
        if self.first_output_ns is None:
            self.first_output_ns = time.time_ns()
        if not chunk:
            self.proc.wait()
            raise EngineError("the engine's event stream ended (rc=%s): %s" % (
                self.proc.returncode, self.proc.stderr.read().decode("utf-8", "replace")[:2000]))
        *complete, self._pending = (self._pending + chunk).split(b"\n")
        self.lines += [line.decode("utf-8", "replace") for line in complete if line.strip()]

    def close(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait()
        for pipe in (self.proc.stdout, self.proc.stderr):
            pipe.close()


def _wait_for_stop(stream: _Stream, stop_path: str, watch_dir: str, deadline_ns: int) -> int:
    """Read until the stop file appears; the window's close (ns), a quarter second past then."""
    while True:
        stream.read(POLL_S)
        now = time.time_ns()
        if os.path.lexists(stop_path):
            return events_until_ns(now)
        if not os.path.isdir(watch_dir):
            raise EngineError("the run directory %s was removed: nobody will collect the "
                              "event log" % watch_dir)
        if now > deadline_ns:
            raise EngineError("no stop file %s before the follower's deadline" % stop_path)


def follow_events(engine_cli: str, since: str, stop_path: str, watch_dir: str,
                  deadline_ns: int) -> tuple[list[str], int, int]:
    """(lines of the window, oldest first; how many the engine replayed; the close in ns)."""
    stream = _Stream(engine_cli, since)
    try:
        until_ns = _wait_for_stop(stream, stop_path, watch_dir, deadline_ns)
        while time.time_ns() <= until_ns:
            stream.read(POLL_S)
    finally:
        stream.close()
    streamed = [line for line in stream.lines if (time_nano(line) or 0) <= until_ns]
    last_ns = max((time_nano(line) or 0 for line in streamed), default=0)
    # The tail: what the engine logged up to the close that the stream had not delivered when
    # it was stopped. Its first event may be the stream's last one again: lines are exact.
    tail_since = ns_text(last_ns) if last_ns else since
    tail = run_cli([engine_cli, "events", "--since", tail_since, "--until", ns_text(until_ns),
                    "--format", EVENT_TEMPLATE], timeout=60).stdout.splitlines()
    seen = set(streamed)
    added = [line for line in tail if line.strip() and line not in seen]
    # Every event logged before the first output may have come from the replay: counted so,
    # which can only make the count larger than what the engine replayed.
    subscribed_by = stream.first_output_ns or until_ns
    replayed = sum(1 for line in streamed if (time_nano(line) or 0) <= subscribed_by)
    lines = sorted(streamed + added, key=lambda line: time_nano(line) or 0)
    return lines, replayed + len(added), until_ns
