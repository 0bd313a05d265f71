"""The event follower (module_utils/_event_follow.py) against a stand-in engine CLI.

The stand-in (tests/unit/fake_events.py) speaks `docker events` as the follower uses it:
without --until it replays its past (REPLAYED lines, older than the subscription) and then
streams a live event every 20 ms, logging each to a file; after 15 it stalls, logging without
printing (events the stream had not delivered when it was stopped: the engine delivers in
order, so they are the stream's end). With --until it replays from that file, as the engine
replays from its memory. The real engine is exercised by the integration suite.
"""

from __future__ import annotations

import json
import os
import threading
import time

import pytest
from fake_events import write_fake_events

from ansible_collections.sandbox.attest.plugins.module_utils import _event_follow
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError

REPLAYED = 5


@pytest.fixture
def fake_cli(tmp_path):
    return write_fake_events(str(tmp_path), "docker", REPLAYED, str(tmp_path / "engine.log"))


def _stop_later(path: str, after_s: float) -> threading.Timer:
    timer = threading.Timer(after_s, lambda: open(path, "w").close())
    timer.start()
    return timer


def test_the_follower_keeps_every_event_of_the_window_and_counts_the_replayed(fake_cli, tmp_path):
    watch = tmp_path / "run"
    watch.mkdir()
    stop = str(watch / "events.stop")
    _stop_later(stop, 0.6)
    since = "%d" % (time.time_ns() // 10**9 - 5)
    lines, replayed, until_ns = _event_follow.follow_events(
        fake_cli, since, stop, str(watch), time.time_ns() + 30 * 10**9)
    with open(tmp_path / "engine.log") as log:
        logged = [text.rstrip("\n") for text in log
                  if json.loads(text)["time_nano"] <= until_ns]
    # Every event the engine logged up to the close, once, oldest first; none after it.
    assert lines == sorted(logged, key=lambda text: json.loads(text)["time_nano"])
    assert len(lines) == len(set(lines)) > REPLAYED + 15
    # The stream's undelivered tail came from the replay, and is counted as replayed with the
    # head.
    assert replayed >= REPLAYED + 1
    assert all(json.loads(text)["time_nano"] <= until_ns for text in lines)


def test_the_replayed_count_leaves_out_what_streamed_after_the_subscription(
        fake_cli, tmp_path):
    watch = tmp_path / "run"
    watch.mkdir()
    stop = str(watch / "events.stop")
    _stop_later(stop, 0.6)
    lines, replayed, dummy = _event_follow.follow_events(
        fake_cli, "0", stop, str(watch), time.time_ns() + 30 * 10**9)
    # The head and the undelivered events the tail brought, not the 15 streamed ones (the
    # first of them may arrive with the head, and is then counted with it: never too few).
    assert len(lines) - 15 <= replayed <= len(lines) - 13


def test_a_removed_run_directory_ends_the_follower(fake_cli, tmp_path):
    watch = tmp_path / "run"
    watch.mkdir()
    threading.Timer(0.3, lambda: os.rmdir(watch)).start()
    with pytest.raises(EngineError, match="was removed"):
        _event_follow.follow_events(fake_cli, "0", str(watch / "events.stop"), str(watch),
                                    time.time_ns() + 30 * 10**9)


def test_the_deadline_ends_the_follower(fake_cli, tmp_path):
    with pytest.raises(EngineError, match="deadline"):
        _event_follow.follow_events(fake_cli, "0", str(tmp_path / "events.stop"), str(tmp_path),
                                    time.time_ns() + 300_000_000)


def test_a_stream_that_ends_is_an_error(fake_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_EVENTS_MODE", "dies")
    with pytest.raises(EngineError, match="event stream ended"):
        _event_follow.follow_events(fake_cli, "0", str(tmp_path / "events.stop"), str(tmp_path),
                                    time.time_ns() + 30 * 10**9)


def test_ns_text_is_what_the_cli_reads():
    assert _event_follow.ns_text(1795987309000000001) == "1795987309.000000001"
    assert _event_follow.time_nano('{"time_nano": 7}\tcmd') == 7
    assert _event_follow.time_nano("not json") is None


def _alive(pid: int) -> bool:
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as handle:
            return handle.read().split(") ", 1)[1][0] != "Z"
    except OSError:
        return False


def test_a_detached_follower_is_collected_from_its_run_directory(fake_cli, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pid = _event_follow.start_follower(fake_cli, "0", str(run_dir), time.time_ns() + 30 * 10**9)
    assert pid > 0 and _alive(pid)
    time.sleep(0.5)
    lines, replayed, until_ns = _event_follow.collect(str(run_dir))
    assert len(lines) > REPLAYED + 10 and replayed >= REPLAYED and until_ns > 0
    for dummy in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)
    # A second follower in the same directory is refused: its files are there.
    with pytest.raises(EngineError, match="already holds"):
        _event_follow.start_follower(fake_cli, "0", str(run_dir), time.time_ns() + 10**9)


def test_a_detached_follower_ends_when_its_run_directory_is_removed(fake_cli, tmp_path):
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    pid = _event_follow.start_follower(fake_cli, "0", str(run_dir), time.time_ns() + 30 * 10**9)
    time.sleep(0.3)
    os.rmdir(run_dir)
    for dummy in range(50):
        if not _alive(pid):
            break
        time.sleep(0.1)
    assert not _alive(pid)
    assert not run_dir.exists()


def test_collect_names_a_follower_that_failed(fake_cli, tmp_path, monkeypatch):
    monkeypatch.setenv("FAKE_EVENTS_MODE", "dies")
    run_dir = tmp_path / "run"
    run_dir.mkdir()
    _event_follow.start_follower(fake_cli, "0", str(run_dir), time.time_ns() + 30 * 10**9)
    with pytest.raises(EngineError, match="follower failed: the engine's event stream ended"):
        _event_follow.collect(str(run_dir), wait_s=10)
