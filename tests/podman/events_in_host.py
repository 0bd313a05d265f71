"""Runs inside a Podman test host, as root, with the collection's module_utils on PYTHONPATH
(tests/podman/events-measure.sh copies them in; not part of `make test`). Python 3 of the host
(Debian's 3.11), standard library and module_utils only.

  events_in_host.py window ACTIONS SECRET [DIR]
      a follower (_event_follow.follow_events, runtime "podman") from the window's opening; the
      ACTIONS script run with SECRET; the follower stopped; the window read once
      (_snapshot.events_read_argv, events_in_window); both scrubbed. Prints one JSON line: the
      records, the counts per type and action, whether the follower and the read agree, whether
      the secret is in any line. With DIR: the window's lines of podman's own log
      (events.log), the template's lines and templates.json, for tests/unit/data/podman-events
  events_in_host.py latency N
      N volume creations under a live `podman events --since`: ms from each event's time, and
      from the end of the command that logged it, to its line read from the stream
  events_in_host.py until
      how many lines `podman events --until T` prints with T 1 s past and 0.05, 0.25 and 1 s
      ahead (5 reads each), against `--stream=false`, and how long each read took
"""

from __future__ import annotations

import collections
import datetime
import json
import os
import select
import subprocess
import sys
import tempfile
import threading
import time

from ansible_collections.sandbox.attest.plugins.module_utils import (
    _event_follow,
    _snapshot,
    _snapshot_podman,
)

PODMAN = "podman"
RUNTIME = "podman"
EVENTS_LOG = "/run/libpod/events/events.log"


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _log_time_ns(text: str) -> int:
    """ns since the epoch of events.log's `Time` (RFC 3339 with nanoseconds, UTC)."""
    head, dummy, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.UTC).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])


def _raw_window(since_ns: int, until_ns: int) -> list[str]:
    with open(EVENTS_LOG, encoding="utf-8") as handle:
        return [line.rstrip("\n") for line in handle
                if since_ns <= _log_time_ns(json.loads(line)["Time"]) <= until_ns]


def window(actions: str, secret: str, out: str | None) -> None:
    since_ns = time.time_ns()
    since = _snapshot.ns_text(since_ns)
    stop_dir = tempfile.mkdtemp()
    stop = os.path.join(stop_dir, _event_follow.STOP_NAME)
    followed: dict = {}

    def follow() -> None:
        followed["result"] = _event_follow.follow_events(
            PODMAN, since, stop, stop_dir, time.time_ns() + 600 * 10**9, RUNTIME)

    thread = threading.Thread(target=follow)
    thread.start()
    acted = _run(["sh", actions, secret])
    with open(stop, "x", encoding="utf-8"):
        pass
    thread.join()
    lines, replayed, until_ns = followed["result"]
    while time.time_ns() <= until_ns:  # Podman's read ends the window by time_nano
        time.sleep(0.05)
    read = _snapshot.events_in_window(
        _run(_snapshot.events_read_argv(PODMAN, since, _snapshot.ns_text(until_ns),
                                        RUNTIME)).stdout.splitlines(), until_ns, RUNTIME)
    records = [_snapshot.scrub_event_line(line, RUNTIME) for line in read if line.strip()]
    raw = _raw_window(since_ns, until_ns)
    if out:
        os.makedirs(out, exist_ok=True)
        for name, text in (("events-log.jsonl", raw), ("template.txt", read)):
            with open(os.path.join(out, name), "w", encoding="utf-8") as handle:
                handle.write("".join(line + "\n" for line in text))
        with open(os.path.join(out, "templates.json"), "w", encoding="utf-8") as handle:
            json.dump({"podman": _run([PODMAN, "--version"]).stdout.strip(),
                       "template_sha256": _snapshot.sha256_hex(_snapshot_podman.EVENT_TEMPLATE)},
                      handle, indent=1, sort_keys=True)
            handle.write("\n")
    counts = collections.Counter("%s %s" % (r["type"], r["action"]) for r in records)
    print(json.dumps({
        "actions_rc": acted.returncode, "actions_stderr": [
            line for line in acted.stderr.splitlines() if "level=warning" not in line],
        "events_read": len(records), "events_in_podman_log": len(raw),
        "followed": len(lines), "follower_replayed": replayed,
        "follower_equals_read": sorted(lines) == sorted(read),
        "secret_in_template_lines": any(secret in line for line in read),
        "secret_in_podman_log": any(secret in line for line in raw),
        "counts": dict(sorted(counts.items())), "records": records}, sort_keys=True))


def latency(count: int) -> None:
    proc = subprocess.Popen(_snapshot.events_follow_argv(PODMAN, _snapshot.ns_text(
        time.time_ns()), RUNTIME), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
    pending, seen = b"", []
    figures = []
    try:
        for number in range(count):
            name = "events-latency-%d" % number
            _run([PODMAN, "volume", "create", name])
            returned = time.time_ns()
            found = None
            while found is None:
                if not select.select([proc.stdout], [], [], 5)[0]:
                    break
                pending += os.read(proc.stdout.fileno(), 1 << 16)
                now = time.time_ns()
                *lines, pending = pending.split(b"\n")
                seen += [(json.loads(line), now) for line in lines if line.strip()]
                found = next(((event, at) for event, at in seen
                              if event["name"] == name and event["action"] == "create"), None)
            _run([PODMAN, "volume", "rm", name])
            figures.append(None if found is None else [
                round((found[1] - found[0]["time_nano"]) / 1e6, 1),
                round((found[1] - returned) / 1e6, 1)])
    finally:
        proc.kill()
        proc.wait()
    print(json.dumps({"ms_from_event_and_from_command_end_to_read": figures}))


def until() -> None:
    whole = len(_run([PODMAN, "events", "--stream=false", "--since", "0",
                      "--format", "{{.Status}}"]).stdout.splitlines())
    figures: dict = {"stream_false": whole}
    for ahead in (-1.0, 0.05, 0.25, 1.0):
        for dummy in range(5):
            started = time.monotonic()
            text = _run([PODMAN, "events", "--since", "0", "--until",
                         _snapshot.ns_text(time.time_ns() + int(ahead * 1e9)),
                         "--format", "{{.Status}}"]).stdout
            figures.setdefault("until_%gs_ahead" % ahead, []).append(
                [len(text.splitlines()), round(time.monotonic() - started, 2)])
    print(json.dumps(figures))


def main(argv: list[str]) -> None:
    if len(argv) in (4, 5) and argv[1] == "window":
        window(argv[2], argv[3], argv[4] if len(argv) == 5 else None)
    elif len(argv) == 3 and argv[1] == "latency":
        latency(int(argv[2]))
    elif len(argv) == 2 and argv[1] == "until":
        until()
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
