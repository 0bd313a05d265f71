"""The event follower on the real engine: a window busier than the engine replays, whole.

Docker replays at most its last 256 events (`docker events --since ... --until ...`); a
follower (module_utils/_event_follow.py) subscribed from the window's opening streams them all.
A container of the test's own checks its health every 10 ms: three events per check
(exec_create, exec_start, exec_die), far more than 256 in a few seconds.
"""

from __future__ import annotations

import json
import threading
import time

from harness import docker

from ansible_collections.sandbox.attest.plugins.module_utils import _event_follow
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import EVENT_TEMPLATE

LABEL = "sandbox.attest.test=event-follow"


def _head(line: str) -> dict:
    """The JSON head of a template line (an exec's command follows a tab)."""
    return json.loads(line.partition("\t")[0])


def _busy_container(lived_in_host: dict) -> str:
    healthy = next(o["id"] for o in lived_in_host["objects"] if o["role"] == "healthy")
    image = json.loads(docker("inspect", healthy))[0]["Image"]
    return docker("run", "-d", "--pull", "never", "--label", LABEL, "--health-cmd",
                  "/tool healthy", "--health-interval", "10ms", "--health-retries", "1",
                  image, "sleep").strip()


def test_a_followed_window_holds_more_than_the_engine_replays(lived_in_host, tmp_path) -> None:
    busy = _busy_container(lived_in_host)
    try:
        opened_ns = time.time_ns()
        since = _event_follow.ns_text(opened_ns)
        stop = tmp_path / "events.stop"
        threading.Timer(15, stop.touch).start()
        lines, replayed, until_ns = _event_follow.follow_events(
            "docker", since, str(stop), str(tmp_path), time.time_ns() + 120 * 10**9)
        ours = [line for line in lines if _head(line)["id"] == busy]
        assert len(ours) > 256, len(ours)
        # Subscribed at the opening: nearly nothing came from the replay.
        assert replayed < 64, replayed
        times = [_head(line)["time_nano"] for line in lines]
        assert times == sorted(times) and opened_ns <= times[0] and times[-1] <= until_ns
        assert len(set(lines)) == len(lines)
        # Read once after the window, the engine gives back only its last 256.
        once = docker("events", "--since", since, "--until", _event_follow.ns_text(until_ns),
                      "--format", EVENT_TEMPLATE).splitlines()
        assert len(once) <= 256 < len(lines)
        assert set(once) <= set(lines)
    finally:
        docker("rm", "-f", busy)
