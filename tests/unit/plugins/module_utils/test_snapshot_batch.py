"""The batched snapshot's parsing and digests (pure logic; the engine side is tested in
tests/integration/test_lived_in_host.py against real objects)."""

from __future__ import annotations

import hashlib
import itertools
import json

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError

CID = "a" * 64
MOUNTS = ['{"Destination":"/a","Source":"/x"}', '{"Destination":"/b","Source":"/y"}',
          '{"Destination":"/c","Source":"/z"}']
IDENT = '{"id":"%s","name":"web","restart_count":0' % CID  # printed without its brace


def _output(mounts: list[str], health: str | None = None) -> str:
    lines = ["%s c {\"Env\":[\"A=1\"]}{\"Binds\":null}" % CID]
    lines += ["%s m %s" % (CID, m) for m in mounts]
    lines.append("%s i %s" % (CID, IDENT))
    if health:
        lines.append("%s h %s" % (CID, health))
    return "\n".join(lines) + "\n"


def test_mount_order_never_changes_the_digest() -> None:
    digests = {_snapshot.parse_batch("container", _output(list(order)))[CID]["config_sha256"]
               for order in itertools.permutations(MOUNTS)}
    assert len(digests) == 1
    mounts = sorted("%s m %s" % (CID, m) for m in MOUNTS)
    lines = ['%s c {"Env":["A=1"]}{"Binds":null}' % CID, *mounts]
    expected = hashlib.sha256("".join(
        hashlib.sha256((line + "\n").encode()).hexdigest() + "\n" for line in lines).encode())
    assert digests == {expected.hexdigest()}


def test_a_changed_mount_or_configuration_changes_the_digest() -> None:
    base = _snapshot.parse_batch("container", _output(MOUNTS))[CID]["config_sha256"]
    other = _snapshot.parse_batch("container", _output(MOUNTS[:2]))[CID]["config_sha256"]
    assert base != other


def test_the_health_command_is_kept_as_a_digest_only() -> None:
    health = '"/bin/sh" "-c" "pg_isready" '
    item = _snapshot.parse_batch("container", _output(MOUNTS, health))[CID]
    assert item["health_cmd_sha256"] == hashlib.sha256(
        ("%s h %s\n" % (CID, health)).encode()).hexdigest()
    assert "pg_isready" not in json.dumps(item)
    assert _snapshot.parse_batch("container", _output(MOUNTS))[CID]["health_cmd_sha256"] is None


@pytest.mark.parametrize("text", [f"{CID} x oops\n", f"{CID}\n", f"{CID} c {{}}\n",
                                  f"{CID} i {{}}\n", f"{CID} c {{}}\n{CID} i not-json\n"])
def test_an_unreadable_batch_fails_the_snapshot(text: str) -> None:
    with pytest.raises(EngineError):
        _snapshot.parse_batch("container", text)


def test_an_exec_command_becomes_its_digest() -> None:
    command = '%s h "env" "PASSWORD=hunter2" ' % CID
    line = ('{"time_nano":1,"type":"container","action":"exec_start","id":"%s","name":"web",'
            '"container":null,"exec_id":"e1"}\t%s' % (CID, command))
    event = _snapshot.scrub_event_line(line)
    assert event["command_sha256"] == hashlib.sha256((command + "\n").encode()).hexdigest()
    assert "hunter2" not in json.dumps(event)
    plain = _snapshot.scrub_event_line(line.split("\t", 1)[0])
    assert plain["command_sha256"] is None


IMAGE = "sha256:" + "c" * 64


@pytest.mark.parametrize("line", [
    "c" * 71 + " web:1",                      # no sha256: prefix
    "sha256:" + "C" * 64 + " web:1",          # not lower-case hex
    "sha256:" + "c" * 63 + " web:1",          # short
    IMAGE + " web",                           # no tag separator
    IMAGE,                                    # no reference at all
    IMAGE + ' we"b:1',                        # what no reference holds
])
def test_an_unreadable_image_list_line_fails_the_snapshot(line) -> None:
    with pytest.raises(EngineError, match="unreadable"):
        _snapshot.parse_image_list(line + "\n", set())


def test_an_image_is_its_configuration_digest_and_its_sorted_tags() -> None:
    images = _snapshot.parse_image_list(
        "%s b:1\n%s a:1\n%s <none>:<none>\n" % (IMAGE, IMAGE, IMAGE), set())
    assert images == [{"id": IMAGE, "tags": ["a:1", "b:1"], "probe_image": False,
                       "config_sha256": "c" * 64}]
    # A probe mark of an image the list did not name (removed between the calls) is no image.
    assert _snapshot.parse_image_list("", {IMAGE}) == []


def test_the_event_window_closes_a_quarter_second_past_now() -> None:
    assert _snapshot.events_until(1795987309000000000) == "1795987309.250000000"
    assert _snapshot.events_until(1795987309900000000) == "1795987310.150000000"


def test_window_closes_at_holds_every_event_read():
    """run.json's finished_at is the event read's close rounded up to the whole second."""
    assert _snapshot.window_closes_at(1795987309000000000) == "2026-11-29T21:21:49Z"
    assert _snapshot.window_closes_at(1795987309000000001) == "2026-11-29T21:21:50Z"
    assert _snapshot.window_closes_at(_snapshot.events_until_ns(1795987309900000000)) == \
        "2026-11-29T21:21:51Z"


@pytest.mark.parametrize("count", [0, 1, 99, 100, 199, 200, 401, 1000, 5003])
def test_batches_cover_every_ref_once_in_order(count: int) -> None:
    refs = ["%064x" % number for number in range(count)]
    parts = _snapshot.batches(refs)
    assert [ref for part in parts for ref in part] == refs
    assert 1 <= len(parts) <= _snapshot.INSPECT_CALLS_MAX
    if count >= _snapshot.INSPECT_BATCH:
        assert min(len(part) for part in parts) >= _snapshot.INSPECT_BATCH
        assert max(len(part) for part in parts) - min(len(part) for part in parts) <= 1
        assert len(parts) == min(_snapshot.INSPECT_CALLS_MAX, count // _snapshot.INSPECT_BATCH)
    else:
        assert len(parts) == 1
