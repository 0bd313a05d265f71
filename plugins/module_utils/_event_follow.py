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

The follower changes nothing on the host but its run's directory: it reads the log, and keeps
its stop file and its result there (start_follower, collect). It is a detached process of its
own, not an Ansible async job (whose record would stay in the target user's home when a run is
killed). It ends on its own when the run directory is removed - by the cleanup of a failed or
interrupted run - or at its deadline, so an abandoned follower never outlives its run.
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
    event_time_nano,
    events_follow_argv,
    events_in_window,
    events_read_argv,
    events_until_ns,
    ns_text,
)

POLL_S = 0.1
STOP_NAME = "events.stop"
RESULT_NAME = "events.result.json"


def time_nano(line: str) -> int | None:
    """The time_nano of one event template line (its JSON head), or None when unreadable."""
    return event_time_nano(line)


class _Stream:
    """`docker events --since` without --until: its complete lines, as they arrive. Podman's
    `podman events --since` with the file logger does the same (measured, docs/podman-facts.md:
    it replays its log, then streams each event 0.08-0.25 s after the command that logged it
    returned)."""

    def __init__(self, engine_cli: str, since: str, runtime: str = "docker") -> None:
        try:
            self.proc = subprocess.Popen(  # argv list, never a shell
                events_follow_argv(engine_cli, since, runtime),
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
                  deadline_ns: int, runtime: str = "docker") -> tuple[list[str], int, int]:
    """(lines of the window, oldest first; how many the engine replayed; the close in ns).
    Podman's tail is read without --until (cut short by it, _snapshot_podman) and cut at the
    close by each line's time (its --stream=false read gave 300 of 300 events: no 256 limit
    seen; the live stream's replay of that many was not measured)."""
    stream = _Stream(engine_cli, since, runtime)
    try:
        until_ns = _wait_for_stop(stream, stop_path, watch_dir, deadline_ns)
        while time.time_ns() <= until_ns:
            stream.read(POLL_S)
    finally:
        stream.close()
    # Each line's time, parsed once (an unreadable line counts as 0: kept, and the module's
    # scrubbing then fails it).
    times = {line: time_nano(line) or 0 for line in stream.lines}
    streamed = [line for line in stream.lines if times[line] <= until_ns]
    last_ns = max((times[line] for line in streamed), default=0)
    # The tail: what the engine logged up to the close that the stream had not delivered when
    # it was stopped. Its first event may be the stream's last one again: lines are exact.
    tail_since = ns_text(last_ns) if last_ns else since
    tail = events_in_window(
        run_cli(events_read_argv(engine_cli, tail_since, ns_text(until_ns), runtime),
                timeout=60).stdout.splitlines(), until_ns, runtime)
    added = [line for line in tail if line.strip() and line not in times]
    times.update((line, time_nano(line) or 0) for line in added)
    # Every event logged before the first output may have come from the replay: counted so,
    # which can only make the count larger than what the engine replayed.
    subscribed_by = stream.first_output_ns or until_ns
    replayed = sum(1 for line in streamed if times[line] <= subscribed_by)
    lines = sorted(streamed + added, key=times.__getitem__)
    return lines, replayed + len(added), until_ns


def _write_result(run_dir: str, result: dict) -> None:
    """The follower's result in the run directory, whole or not at all (renamed into place)."""
    path = os.path.join(run_dir, RESULT_NAME)
    with open(path + ".tmp", "w", encoding="utf-8") as handle:
        json.dump(result, handle)
    os.rename(path + ".tmp", path)


def _follow_into(engine_cli: str, since: str, run_dir: str, deadline_ns: int,
                 runtime: str = "docker") -> None:
    try:
        lines, replayed, until_ns = follow_events(
            engine_cli, since, os.path.join(run_dir, STOP_NAME), run_dir, deadline_ns, runtime)
        result = {"lines": lines, "replayed": replayed, "until_ns": until_ns}
    except (EngineError, OSError) as exc:
        result = {"error": str(exc)}
    if os.path.isdir(run_dir):
        _write_result(run_dir, result)


def start_follower(engine_cli: str, since: str, run_dir: str, deadline_ns: int,
                   runtime: str = "docker") -> int:
    """Start a detached follower (its own session, no terminal, stdio on /dev/null, so the
    module returns at once); the follower's pid."""
    if not os.path.isdir(run_dir):
        raise EngineError("no run directory %s to follow the event log in" % run_dir)
    for name in (STOP_NAME, RESULT_NAME):
        if os.path.lexists(os.path.join(run_dir, name)):
            raise EngineError("%s already holds a follower's %s" % (run_dir, name))
    reader, writer = os.pipe()
    child = os.fork()
    if child:
        os.close(writer)
        with os.fdopen(reader, "rb") as handle:
            pid = int(handle.read() or b"0")
        os.waitpid(child, 0)
        if not pid:
            raise EngineError("the event follower did not start")
        return pid
    # The first child: a new session, then the follower as its child (never a session
    # leader, so it cannot take a terminal), and this child exits at once.
    os.close(reader)
    os.setsid()
    pid = os.fork()
    if pid:
        os.write(writer, b"%d" % pid)
        os._exit(0)  # pylint: disable=protected-access
    os.close(writer)
    null = os.open(os.devnull, os.O_RDWR)
    for fd in (0, 1, 2):
        os.dup2(null, fd)
    os.chdir("/")
    try:
        _follow_into(engine_cli, since, run_dir, deadline_ns, runtime)
    finally:
        os._exit(0)  # pylint: disable=protected-access


def collect(run_dir: str, wait_s: float = 60) -> tuple[list[str], int, int]:
    """Stop the run's follower (its stop file) and read its result: what follow_events gives."""
    stop = os.path.join(run_dir, STOP_NAME)
    with open(stop, "x", encoding="utf-8"):
        pass
    path = os.path.join(run_dir, RESULT_NAME)
    waited_until = time.monotonic() + wait_s
    while not os.path.exists(path):
        if time.monotonic() > waited_until:
            raise EngineError("the event follower gave no result within %d s" % wait_s)
        time.sleep(POLL_S / 2)
    with open(path, encoding="utf-8") as handle:
        result = json.load(handle)
    if "error" in result:
        raise EngineError("the event follower failed: %s" % result["error"])
    return list(result["lines"]), int(result["replayed"]), int(result["until_ns"])
