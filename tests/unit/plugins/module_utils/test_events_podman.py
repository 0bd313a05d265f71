"""The podman event log (issue 18) read from real podman output: the window of
tests/podman/events-actions.sh, captured once in a Podman test host as Podman's own log lines
and as the event template printed them (tests/unit/data/README.md, "A Podman test host's event
log: podman-events/")."""

from __future__ import annotations

import datetime
import json
import os
import threading
import time

import pytest
from fake_events import write_fake_events

from ansible_collections.sandbox.attest.plugins.module_utils import (
    _event_follow,
    _snapshot,
    _snapshot_podman,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "podman-events")
# sha256 of Docker's EVENT_TEMPLATE as on main before this slice: it must stay byte-identical.
DOCKER_EVENT_TEMPLATE_SHA256 = "f9bee36cf125177cc4904350d16b0b18fd6bcc2a51b9d3ea852da92adf75fbd7"
RECORD_KEYS = {*_snapshot.EVENT_KEYS, "command_sha256"}


def _read(name: str) -> str:
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


SECRET = _read("secret").strip()
TEMPLATE_LINES = _read("template.txt").splitlines()
LOG_LINES = _read("events-log.jsonl").splitlines()


def _ns(text: str) -> int:
    head, dummy, fraction = text.rstrip("Z").partition(".")
    seconds = datetime.datetime.strptime(head, "%Y-%m-%dT%H:%M:%S").replace(
        tzinfo=datetime.UTC).timestamp()
    return int(seconds) * 1_000_000_000 + int((fraction + "000000000")[:9])


def _expected(raw: dict) -> dict:
    """The record of one line of Podman's own log (events.log), by the mapping the template
    comments state: omitted keys are "" (Podman's JSON omits empty strings; the network's
    name is its lower-case key `network` there, `.Network` in a template)."""
    kind, ident, name = raw["Type"], raw.get("ID", ""), raw.get("Name", "")
    network = kind == "network"
    return {"time_nano": _ns(raw["Time"]), "type": kind, "action": raw["Status"],
            "id": "" if network else name if kind == "volume" else ident,
            "name": raw.get("network", "") if network else name,
            "container": ident if network else None, "exec_id": None,
            "command_sha256": None}


def test_the_captures_are_the_templates_output() -> None:
    recorded = json.loads(_read("templates.json"))
    assert recorded == {"podman": "podman version 4.3.1",
                        "template_sha256": _snapshot.sha256_hex(_snapshot_podman.EVENT_TEMPLATE)}


def test_dockers_event_template_and_argv_did_not_change() -> None:
    assert _snapshot.sha256_hex(_snapshot.EVENT_TEMPLATE) == DOCKER_EVENT_TEMPLATE_SHA256
    assert _snapshot.event_template() is _snapshot.EVENT_TEMPLATE
    assert _snapshot.events_read_argv("docker", "S", "U") == [
        "docker", "events", "--since", "S", "--until", "U", "--format", _snapshot.EVENT_TEMPLATE]
    assert _snapshot.events_follow_argv("docker", "S") == [
        "docker", "events", "--since", "S", "--format", _snapshot.EVENT_TEMPLATE]


def test_podmans_read_has_no_until() -> None:
    argv = _snapshot.events_read_argv("podman", "S", "U", "podman")
    assert argv == ["podman", "events", "--stream=false", "--since", "S", "--format",
                    _snapshot_podman.EVENT_TEMPLATE]
    assert "--until" not in _snapshot.events_follow_argv("podman", "S", "podman")


def _order(record: dict) -> tuple:
    return record["time_nano"], record["action"]


def test_each_captured_line_is_the_record_of_podmans_own_event() -> None:
    records = [_snapshot.scrub_event_line(line, "podman") for line in TEMPLATE_LINES]
    expected = [_expected(json.loads(line)) for line in LOG_LINES]
    assert len(records) == len(expected) == 68
    assert sorted(records, key=_order) == sorted(expected, key=_order)
    assert all(set(record) == RECORD_KEYS for record in records)


def test_the_measured_actions_per_type() -> None:
    """Podman's names, kept (no Docker names): what the verifier's podman rules will read.
    `stop` is not always logged: once for `podman restart` in a first measurement, never for
    `podman stop -t 0` or `podman restart -t 0` in this capture."""
    records = [_snapshot.scrub_event_line(line, "podman") for line in TEMPLATE_LINES]
    seen = {(record["type"], record["action"]) for record in records}
    assert seen == {
        ("container", action) for action in (
            "create", "init", "start", "exec", "exec_died", "health_status", "died", "restart",
            "kill", "cleanup", "remove")} | {
        ("image", action) for action in ("loadfromarchive", "tag", "untag", "remove")} | {
        ("network", "connect"), ("network", "disconnect"), ("pod", "create"),
        ("pod", "start"), ("pod", "stop"), ("pod", "remove"), ("volume", "create"),
        ("volume", "remove")}


def test_no_command_text_is_logged_or_kept() -> None:
    """The secret was in an exec's command, a health command and an environment value: Podman
    logged none of them, and the records carry no command (nor its digest)."""
    assert SECRET not in _read("events-log.jsonl")
    assert SECRET not in _read("template.txt")
    records = [_snapshot.scrub_event_line(line, "podman") for line in TEMPLATE_LINES]
    assert all(record["command_sha256"] is None and record["exec_id"] is None
               for record in records)
    assert "\t" not in _read("template.txt")


def test_labels_and_exit_codes_are_not_kept() -> None:
    assert any("events.kind" in line for line in LOG_LINES)
    assert any("ContainerExitCode" in line for line in LOG_LINES)
    text = _read("template.txt")
    assert "events.kind" not in text and "exec-target" not in text
    assert "ContainerExitCode" not in text


def _first(action: str) -> dict:
    return next(json.loads(line) for line in TEMPLATE_LINES
                if json.loads(line)["action"] == action)


@pytest.mark.parametrize("edit", [
    lambda line: line + "\t" + '"sh" "-c" "x" ',                     # a command: never printed
    lambda line: line[:-1],                                           # cut short
    lambda line: "not json",
    lambda line: "[1, 2]",
    lambda line: json.dumps(dict(json.loads(line), extra=1)),
    lambda line: json.dumps({k: v for k, v in json.loads(line).items() if k != "name"}),
    lambda line: json.dumps(dict(json.loads(line), time_nano=None)),
    lambda line: json.dumps(dict(json.loads(line), time_nano=True)),
    lambda line: json.dumps(dict(json.loads(line), time_nano="1")),
    lambda line: json.dumps(dict(json.loads(line), exec_id="e1")),
    lambda line: json.dumps(dict(json.loads(line), container=7)),
    lambda line: json.dumps(dict(json.loads(line), name=None)),
    lambda line: json.dumps(dict(json.loads(line), id=None)),
    lambda line: json.dumps(dict(json.loads(line), action=None)),
    lambda line: json.dumps(dict(json.loads(line), type=None)),
])
def test_an_unreadable_line_is_refused(edit) -> None:
    line = json.dumps(_first("exec"))
    with pytest.raises((ValueError, TypeError, AttributeError)):
        _snapshot.scrub_event_line(edit(line), "podman")


@pytest.mark.parametrize("field", ["id", "name", "type", "action"])
def test_empty_fields_podman_prints_are_read(field: str) -> None:
    """Podman's typed events print "" for what an event lacks (an image load's ID, a system
    event's name): every string field may be empty; a network event's container is a string,
    every other event's null."""
    for action in ("loadfromarchive", "connect", "exec_died"):
        event = dict(_first(action), **{field: ""})
        record = _snapshot.scrub_event_line(json.dumps(event), "podman")
        assert record[field] == "" and record["command_sha256"] is None
    assert _snapshot.scrub_event_line(json.dumps(_first("connect")), "podman")["container"]


def test_a_docker_line_with_a_command_is_no_podman_line() -> None:
    line = ('{"time_nano":1,"type":"container","action":"exec_start","id":"%s","name":"w",'
            '"container":null,"exec_id":"e1"}\t"true" ' % ("a" * 64))
    assert _snapshot.scrub_event_line(line)["command_sha256"]
    with pytest.raises(ValueError):
        _snapshot.scrub_event_line(line, "podman")


def test_the_window_is_cut_by_time_for_podman_only() -> None:
    times = sorted(json.loads(line)["time_nano"] for line in TEMPLATE_LINES)
    until = times[40]
    kept = _snapshot.events_in_window([*TEMPLATE_LINES, "garbage"], until, "podman")
    assert len(kept) == 41 + 1 and kept[-1] == "garbage"  # unreadable: kept, scrubbing fails it
    assert _snapshot.events_in_window(TEMPLATE_LINES, until) == TEMPLATE_LINES


def test_the_follower_reads_podman_without_until(tmp_path) -> None:
    # The stand-in (tests/unit/fake_events.py) as Podman: its read takes no --until.
    cli = write_fake_events(str(tmp_path), "podman", 3, str(tmp_path / "log"))
    watch = tmp_path / "run"
    watch.mkdir()
    stop = watch / _event_follow.STOP_NAME
    since = "%d" % (time.time_ns() // 10**9 - 5)
    threading.Timer(0.6, stop.touch).start()
    lines, replayed, until_ns = _event_follow.follow_events(
        str(cli), since, str(stop), str(watch), time.time_ns() + 30 * 10**9, "podman")
    with open(tmp_path / "log", encoding="utf-8") as log:
        logged = [text.rstrip("\n") for text in log
                  if json.loads(text)["time_nano"] <= until_ns]
    # Every event logged up to the close, once, oldest first; none after it (the stand-in, as
    # Podman, printed the tail's later events too: cut by time).
    assert lines == sorted(logged, key=lambda text: json.loads(text)["time_nano"])
    assert len(lines) > 3 + 15 and replayed >= 4
    assert [_snapshot.scrub_event_line(line, "podman")["command_sha256"] for line in lines] \
        == [None] * len(lines)
