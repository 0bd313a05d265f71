"""A stand-in engine CLI for `<cli> events`, as the event follower and the one-off read use it
(module_utils/_event_follow.py, _snapshot.events_read_argv), for Docker or Podman.

Without a read flag it replays its past (`replayed` lines, a second older than the
subscription) and then streams a live event every 20 ms, logging each to a file; after 15 it
stalls, logging without printing (events the stream had not delivered when it was stopped: the
engine delivers in order, so they are the stream's end). FAKE_EVENTS_MODE=dies makes the stream
end at once. A read prints from that log, as the engine replays its own:
  docker  `--until T` reads the window since..T;
  podman  `--stream=false` reads everything since --since (Podman's read takes no --until, and
          one given fails the stand-in with 99: the follower must never send it).
The real engines are exercised by the integration suite.
"""

from __future__ import annotations

import os
import sys

FAKE_EVENTS = r'''#!%(python)s
import json, os, sys, time
LOG = %(log)r
RUNTIME = %(runtime)r
args = sys.argv[1:]
mode = os.environ.get("FAKE_EVENTS_MODE", "")
if RUNTIME == "podman" and "--until" in args:
    sys.exit(99)

def line(ns, n):
    return json.dumps({"time_nano": ns, "type": "container", "action": %(action)r,
                       "id": "c%%d" %% n, "name": "x", "container": None, "exec_id": None})

def ns_of(text):
    seconds, _, fraction = text.partition(".")
    return int(seconds) * 10**9 + int((fraction + "000000000")[:9])

if ("--until" if RUNTIME == "docker" else "--stream=false") in args:
    since = ns_of(args[args.index("--since") + 1])
    until = ns_of(args[args.index("--until") + 1]) if "--until" in args else None
    with open(LOG) as log:
        for text in log:
            if since <= json.loads(text)["time_nano"] and (until is None or
                                                          json.loads(text)["time_nano"] <= until):
                print(text, end="")
    sys.exit(0)
if mode == "dies":
    sys.exit(3)
now = time.time_ns()
with open(LOG, "a") as log:
    for n in range(%(replayed)d):
        text = line(now - 10**9 + n, n)
        log.write(text + "\n")
        print(text, flush=True)
    n = 100
    while True:
        time.sleep(0.02)
        n += 1
        text = line(time.time_ns(), n)
        log.write(text + "\n")
        log.flush()
        if n <= 115:  # then delivery stalls: the engine logs what it does not deliver yet
            print(text, flush=True)
'''
# The action each engine logs when an exec ends (the stand-in's every event).
EXEC_END = {"docker": "exec_die", "podman": "exec_died"}


def write_fake_events(directory: str, runtime: str, replayed: int, log: str) -> str:
    """The stand-in CLI, named after the runtime, in directory; its log at log."""
    path = os.path.join(directory, runtime)
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(FAKE_EVENTS % {"python": sys.executable, "log": log, "runtime": runtime,
                                    "action": EXEC_END[runtime], "replayed": replayed})
    os.chmod(path, 0o700)
    return path
