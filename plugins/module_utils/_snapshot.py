# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Digest-only snapshots of the engine's objects, a few engine calls per kind.

Production containers' environments hold secrets, so no raw configuration leaves the target:
per object, identifying fields and digests. One `inspect --format` call per kind covers every
object of that kind (up to INSPECT_CALLS_MAX calls at once on a host with many); its template
prints tagged lines

    <key> c <configuration>          hashed, never kept
    <key> h <health command>         containers with a health check: hashed, never kept
    <key> i <identifying JSON>       kept (printed without its closing brace)
    <key> m <one mount>              containers: one line per mount, hashed

Each line is hashed whole (sha256 of the line and its LF), and an object's configuration
digest is the sha256 of its line digests, one per line with an LF: the `c` line's, then the `m`
lines' in byte order of the lines. `.Mounts` comes from a map inside the engine and its order
varies from call to call; in byte order an untouched object always has one digest. The
operator packet's POSIX shell computes the same with coreutils alone: `sort`, `split -l 1`, one
`sha256sum` over the line files and one over the per-object digest lists, `cut` and `paste`,
so that no long line passes through the shell's own `read` (dash reads a byte per system call).
Every field a template reads may be null or absent on a real engine (containers without health
checks or mounts, networks without members): each is read through `index` and `with`, which
yield and skip null.

Images are not inspected (format 3): an image's configuration is content-addressed, so its ID
is the digest of its configuration and cannot stay while the configuration changes. What can
change in place, its tags, comes from one `image ls` call, and the probe image cache from a
second, filtered by its label: two engine calls whatever the number of images (measured on
491 images: 0.04 s against 0.31 s for the batched inspect).

Per runtime (issue 18): "docker" (the default: templates, commands, keys and digests as they
were, format 3) or "podman", whose templates and commands, and what Podman prints otherwise
(measured), are in _snapshot_podman. A podman snapshot adds the kind `pods` and a `runtime`
field, and its containers print `n` lines (network names) from which its networks' members
are filled, since Podman's networks do not list them.
"""

from __future__ import annotations

import concurrent.futures
import datetime
import hashlib
import json
import time
from typing import NamedTuple

from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot_podman
from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    TIME_FORMAT,
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    LABEL_PROBE_IMAGE,
    LABEL_RUN_ID,
)

SNAPSHOT_FORMAT = 3
KINDS = ("container", "network", "volume", "image")
# Podman has pods, Docker none. A podman snapshot says so in a `runtime` field (a docker
# snapshot has none, so that its bytes and the format stay as they were).
PODMAN_KINDS = ("container", "pod", "network", "volume", "image")
KINDS_OF = {"docker": KINDS, "podman": PODMAN_KINDS}

# The event log of the run window, scrubbed inside the template: the action is cut at its first
# colon and no attribute is kept but the name, a network event's container and an exec's ID.
# An exec's command (after the colon) may hold secrets; for exec_create/exec_start it is printed
# after a tab as the line a snapshot prints for a health check (`<container> h <pieces>`), and
# replaced by that line's digest on the target (module or packet script) before anything
# leaves: equal digests tell a container's own health-check exec from a `docker exec`.
EVENT_TEMPLATE = (
    '{{$a := split (printf "%s" .Action) ": "}}{{$act := index $a 0}}'
    '{"time_nano":{{json .TimeNano}},"type":{{json .Type}},'
    '"action":{{json (index (split $act ":") 0)}},'
    '"id":{{json .Actor.ID}},"name":{{with .Actor.Attributes}}{{json (index . "name")}}'
    '{{else}}""{{end}},"container":{{with .Actor.Attributes}}{{with index . "container"}}'
    '{{json .}}{{else}}null{{end}}{{else}}null{{end}},"exec_id":{{with .Actor.Attributes}}'
    '{{with index . "execID"}}{{json .}}{{else}}null{{end}}{{else}}null{{end}}}'
    '{{if or (eq $act "exec_create") (eq $act "exec_start")}}\t{{.Actor.ID}} h '
    '{{range split (join (slice $a 1) ": ") " "}}{{json .}} {{end}}{{end}}')
EVENT_COMMAND_SEPARATOR = "\t"
# How far past the target's clock the event window closes when it is read at the end of a run.
# `docker events --until T` streams until the engine's clock passes T, so the margin is time
# waited. Every event of the window was logged before the last engine call returned (the
# engine logs an event as it acts, on the same clock), so a fraction of a second covers the
# clock's granularity; the window used to close a whole second past, rounded up (1-2 s idle).
EVENTS_CLOSE_MARGIN_NS = 250_000_000


# The event template per runtime: Podman's prints the same record from Podman's own event
# (what differs, measured, is written beside it in _snapshot_podman).
EVENT_TEMPLATES = {"docker": EVENT_TEMPLATE, "podman": _snapshot_podman.EVENT_TEMPLATE}
# The record's keys, as both templates print them (scrub_event_line adds command_sha256).
EVENT_KEYS = ("time_nano", "type", "action", "id", "name", "container", "exec_id")


def event_template(runtime: str = "docker") -> str:
    return EVENT_TEMPLATES[runtime]


def events_follow_argv(engine_cli: str, since: str, runtime: str = "docker") -> list[str]:
    """The event stream from since, without an end: the engine replays its log since then and
    streams what it logs next (Podman's file logger too: measured, _snapshot_podman)."""
    return [engine_cli, "events", "--since", since, "--format", event_template(runtime)]


def events_read_argv(engine_cli: str, since: str, until: str,
                     runtime: str = "docker") -> list[str]:
    """The event log of a window read once. Docker ends it at until; Podman's --until cuts the
    read short (_snapshot_podman.EVENT_READ_COMMAND): it reads its whole log since then, and
    events_in_window applies until. until must then have passed before the read starts."""
    if runtime == "podman":
        return [engine_cli, *_snapshot_podman.EVENT_READ_COMMAND, "--since", since,
                "--format", event_template(runtime)]
    return [engine_cli, "events", "--since", since, "--until", until,
            "--format", event_template(runtime)]


def event_time_nano(line: str) -> int | None:
    """The time_nano of one event template line (its JSON head), or None when unreadable."""
    try:
        value = json.loads(line.partition(EVENT_COMMAND_SEPARATOR)[0]).get("time_nano")
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, int) else None


def events_in_window(lines: list[str], until_ns: int, runtime: str = "docker") -> list[str]:
    """The lines of a read up to until_ns: all of Docker's (the engine ended the read there);
    Podman's whose time is not after it. An unreadable line is kept, for scrub_event_line to
    refuse."""
    if runtime != "podman":
        return lines
    kept = []
    for line in lines:
        ns = event_time_nano(line)
        if ns is None or ns <= until_ns:
            kept.append(line)
    return kept


def events_until_ns(now_ns: int) -> int:
    """The close of an event window that closes now, ns since the epoch."""
    return now_ns + EVENTS_CLOSE_MARGIN_NS


def ns_text(ns: int) -> str:
    """ns since the epoch as the CLI's --since/--until read it: seconds.nanoseconds."""
    return "%d.%09d" % (ns // 1_000_000_000, ns % 1_000_000_000)


def ns_of_text(text: str) -> int:
    """ns_text read back: seconds, optionally a dot and up to nine digits of fraction; ValueError
    for anything else."""
    seconds, dot, fraction = text.partition(".")
    if not (seconds.isdigit() and (not dot or (fraction.isdigit() and len(fraction) <= 9))):
        raise ValueError("not seconds.nanoseconds since the epoch: %r" % text)
    return int(seconds) * 1_000_000_000 + int(fraction.ljust(9, "0") if dot else 0)


def events_until(now_ns: int) -> str:
    """The --until of a window closing now: seconds and nanoseconds, as the CLI reads them."""
    return ns_text(events_until_ns(now_ns))


def window_closes_at(until_ns: int) -> str:
    """run.json's finished_at for an event log read up to until_ns: that moment rounded up to
    the whole second (TIME_FORMAT has no fraction), so every event the log holds is inside the
    window. Taking the close from the controller's clock before the read left out what the
    engine logged while the read's own task started (seconds on a loaded host: measured, 4
    events of a 1,000-object host judged outside the window)."""
    seconds = -(-until_ns // 1_000_000_000)
    return datetime.datetime.fromtimestamp(seconds, datetime.timezone.utc).strftime(TIME_FORMAT)


def _get(key: str, obj: str = ".") -> str:
    """A key of the engine's raw JSON: `index` yields null for a key the engine omits."""
    return '(index %s "%s")' % (obj, key)


def _label_or_null(labels_of: str, key: str) -> str:
    return ('{{with %s}}{{with index . "Labels"}}{{with index . "%s"}}{{json .}}{{else}}null'
            '{{end}}{{else}}null{{end}}{{else}}null{{end}}' % (labels_of, key))


_LF = '{{"\\n"}}'


# A command as the engine logs its exec, in a form both a container's health check and an
# exec event can print: the words split at spaces, each as a JSON string followed by a space.
# The engine logs `entrypoint + " " + join(args, " ")`, so splitting the logged string at spaces
# gives the words of each argument split at spaces, in order (and one empty word when there
# are no arguments).
def _pieces(words: str) -> str:
    return '{{range %s}}{{range split . " "}}{{json .}} {{end}}{{end}}' % words


# The health command of a container exactly as the engine logs its exec (daemon/health.go):
# CMD-SHELL runs the container's shell (default `/bin/sh -c`) with the command words; CMD runs
# its first word with the others as arguments.
_HEALTH = (
    '{{with index . "Config"}}{{$sh := index . "Shell"}}{{with index . "Healthcheck"}}'
    '{{with $t := index . "Test"}}{{if gt (len $t) 1}}'
    '{{if eq (index $t 0) "CMD-SHELL"}}{{$k}} h '
    '{{if $sh}}' + _pieces("$sh") + '{{else}}"/bin/sh" "-c" {{end}}' + _pieces("slice $t 1")
    + _LF + '{{end}}'
    '{{if eq (index $t 0) "CMD"}}{{$k}} h ' + _pieces("slice $t 1 2")
    + '{{if eq (len $t) 2}}"" {{else}}' + _pieces("slice $t 2") + '{{end}}' + _LF + '{{end}}'
    '{{end}}{{end}}{{end}}{{end}}')

# The snapshot templates read the engine's JSON as it printed it: the CLI runs a template on
# its typed structures first and, when that fails, on the raw document, and every key here is
# read through `index`, which a typed structure does not have. So the digests depend on what
# the engine printed, never on the client's version of its types. One template per kind; the
# identifying line comes last, so every object ends its output with it (the CLI adds the LF).
SNAPSHOT_TEMPLATES = {
    "container": (
        '{{$k := index . "Id"}}{{$k}} c {{json %s}}{{json %s}}'
        % (_get("Config"), _get("HostConfig"))
        + _LF + '{{range index . "Mounts"}}{{$k}} m {{json .}}' + _LF + '{{end}}' + _HEALTH
        + '{{$k}} i {"id":{{json $k}},"name":{{json (slice (index . "Name") 1)}},'
        '"image":{{with index . "Config"}}{{json (index . "Image")}}{{else}}""{{end}},'
        '"image_id":{{json (index . "Image")}},'
        '"state":{{with index . "State"}}{{json (index . "Status")}}{{else}}""{{end}},'
        '"started_at":{{with index . "State"}}{{json (index . "StartedAt")}}{{else}}""{{end}},'
        '"restart_count":{{json (index . "RestartCount")}},'
        '"restart_policy":{{with index . "HostConfig"}}{{with index . "RestartPolicy"}}'
        '{{json (index . "Name")}}{{else}}""{{end}}{{else}}""{{end}},'
        '"run_id":%s' % _label_or_null('index . "Config"', LABEL_RUN_ID)),
    "network": (
        '{{$k := index . "Id"}}{{$k}} c ' + "".join(
            "{{json %s}}" % _get(key)
            for key in ("Driver", "IPAM", "Options", "Labels", "Internal", "Attachable",
                        "EnableIPv6"))
        + _LF + '{{$k}} i {"id":{{json $k}},"name":{{json (index . "Name")}},'
        '"driver":{{json (index . "Driver")}},"containers":[{{$first := true}}'
        '{{range $id, $c := index . "Containers"}}{{if not $first}},{{end}}{{json $id}}'
        '{{$first = false}}{{end}}]'),
    # `docker volume inspect` has no raw fallback (measured with CLI 28.2: "can't index item of
    # type volume.Volume"): its template reads the typed fields, which print the same JSON.
    "volume": (
        '{{$k := .Name}}{{$k}} c {{json .Driver}}{{json .Options}}{{json .Labels}}'
        '{{json .Mountpoint}}' + _LF + '{{$k}} i {"name":{{json $k}},"driver":{{json .Driver}},'
        '"run_id":{{with .Labels}}{{with index . "%s"}}{{json .}}{{else}}null{{end}}{{else}}null'
        '{{end}}' % LABEL_RUN_ID),
}
# The kinds read by one batched inspect; images are read from their list (see above).
INSPECTED_KINDS = ("container", "network", "volume")
LIST_COMMANDS = {
    "container": ["ps", "-aq", "--no-trunc"],
    "network": ["network", "ls", "-q", "--no-trunc"],
    "volume": ["volume", "ls", "-q"],
    # One line per (image, reference): `<none>` stands for no repository or no tag.
    "image": ["image", "ls", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"],
}
PROBE_IMAGE_LIST_COMMAND = ["image", "ls", "-a", "-q", "--no-trunc", "--filter",
                            "label=%s=true" % LABEL_PROBE_IMAGE]
INSPECT_COMMANDS = {
    "container": ["container", "inspect"],
    "network": ["network", "inspect"],
    "volume": ["volume", "inspect"],
}
# A batched inspect is one request per object inside the CLI, one after the other; split into a
# few calls at the same time, the engine answers on all its cores. Measured on 401 containers
# on a 2-core host (Docker 20.10): the whole snapshot's median 0.41 s with one call, 0.29 s
# with four. Below INSPECT_BATCH objects a kind stays one call.
INSPECT_BATCH = 100
INSPECT_CALLS_MAX = 4
IMAGE_ID_PREFIX = "sha256:"
_HEX = frozenset("0123456789abcdef")
# What the engine says of an object that went between list and inspect, per kind (measured on
# Docker 20.10: "No such container: X", "get X: no such volume", "network X not found",
# "no such image: X").
_VANISHED_MARKS = ("no such", "not found")
# Podman 4.3 says "no such container X", "no such pod X", "no such volume X" and "network X:
# unable to find network with name or ID X: network not found" (measured): the same marks.


class _RuntimeCommands(NamedTuple):
    """What a snapshot runs and reads, for one runtime."""

    templates: dict
    lists: dict
    inspects: dict
    probe_image_list: list
    inspected_kinds: tuple


_COMMANDS = {
    "docker": _RuntimeCommands(SNAPSHOT_TEMPLATES, LIST_COMMANDS, INSPECT_COMMANDS,
                               PROBE_IMAGE_LIST_COMMAND, INSPECTED_KINDS),
    "podman": _RuntimeCommands(_snapshot_podman.TEMPLATES, _snapshot_podman.LIST_COMMANDS,
                               _snapshot_podman.INSPECT_COMMANDS,
                               _snapshot_podman.PROBE_IMAGE_LIST_COMMAND,
                               _snapshot_podman.INSPECTED_KINDS),
}
# The tags a runtime's templates print; podman's containers add `n <network name>` (Podman's
# networks do not list their members: _snapshot_podman).
_TAGS = {"docker": ("c", "m", "h", "i"), "podman": ("c", "m", "h", "i", "n")}
# The key under which parse_batch hands a podman container's network names to take_snapshot;
# removed there, so the container's record keeps Docker's keys.
_NETWORK_NAMES = "_networks"


def templates(runtime: str = "docker") -> dict[str, str]:
    """The inspect template of each inspected kind of a runtime."""
    return _COMMANDS[runtime].templates


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def line_digest(line: str) -> str:
    return sha256_hex(line + "\n")


def config_digest(config_line: str, mount_lines: list[str]) -> str:
    """sha256 of the line digests (each with an LF): the configuration line's, then the mount
    lines' in byte order."""
    return sha256_hex("".join(line_digest(line) + "\n"
                              for line in [config_line, *sorted(mount_lines)]))


def _list(engine_cli: str, kind: str, runtime: str = "docker") -> list[str]:
    out = run_cli([engine_cli] + _COMMANDS[runtime].lists[kind]).stdout.split()
    return sorted(set(out))


def batches(refs: list[str]) -> list[list[str]]:
    """refs cut, in order, into at most INSPECT_CALLS_MAX runs whose lengths differ by one at
    most, each of at least INSPECT_BATCH refs where there are that many."""
    count = max(1, min(INSPECT_CALLS_MAX, len(refs) // INSPECT_BATCH))
    size, longer = divmod(len(refs), count)
    parts, start = [], 0
    for index in range(count):
        end = start + size + (1 if index < longer else 0)
        parts.append(refs[start:end])
        start = end
    return parts


def parse_batch(kind: str, text: str, runtime: str = "docker") -> dict[str, dict]:
    """The objects of one batched inspect's output, keyed as listed; digests computed here."""
    tags = _TAGS[runtime]
    parts: dict[str, dict] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        key, sep1, rest = line.partition(" ")
        tag, sep2, payload = rest.partition(" ")
        if not (sep1 and sep2) or tag not in tags:
            raise EngineError("the %s snapshot template printed an unreadable line" % kind)
        entry = parts.setdefault(key, {"c": None, "m": [], "h": None, "i": None, "n": []})
        if tag == "m":
            entry["m"].append(line)
        elif tag == "n":
            entry["n"].append(payload)
        elif tag == "i":
            entry["i"] = payload
        else:
            entry[tag] = line
    objects = {}
    for key, entry in parts.items():
        if entry["i"] is None or entry["c"] is None:
            raise EngineError("the %s snapshot template printed no full record of %s"
                              % (kind, key))
        try:
            item = json.loads(entry["i"] + "}")
        except ValueError as exc:
            raise EngineError("the %s snapshot template printed no JSON for %s: %s"
                              % (kind, key, exc)) from exc
        item["config_sha256"] = config_digest(entry["c"], entry["m"])
        if kind == "container":
            item["health_cmd_sha256"] = None if entry["h"] is None else line_digest(entry["h"])
        if runtime == "podman":
            _podman_extras(kind, item, entry["n"], key)
        objects[key] = item
    return objects


def _podman_extras(kind: str, item: dict, network_lines: list[str], key: str) -> None:
    """A podman container's network names (JSON strings) kept for take_snapshot; a pod's
    members sorted (Podman lists them in no defined order)."""
    if kind == "container":
        try:
            item[_NETWORK_NAMES] = sorted({json.loads(name) for name in network_lines})
        except (TypeError, ValueError) as exc:
            raise EngineError("the container snapshot template printed no network name for %s"
                              % key) from exc
    elif kind == "pod":
        item["containers"] = sorted(item["containers"])


def _fail_unless_vanished(kind: str, result, runtime: str = "docker") -> None:
    """The CLI prints every object it found and names each one it did not; anything else (a
    template error) fails the snapshot. Podman's warnings are no failure."""
    if result.rc == 0:
        return
    for line in result.stderr.splitlines():
        if runtime == "podman" and _snapshot_podman.WARNING_MARK in line:
            continue
        if line.strip() and not any(mark in line.lower() for mark in _VANISHED_MARKS):
            raise EngineError("inspect of the %ss failed: %s"
                              % (kind, result.stderr.strip()[:2000]))


def is_image_id(text: str) -> bool:
    digest = text[len(IMAGE_ID_PREFIX):]
    return text.startswith(IMAGE_ID_PREFIX) and len(digest) == 64 and set(digest) <= _HEX


def parse_image_list(text: str, probe_ids: set[str]) -> list[dict]:
    """The images of `image ls` lines (`<id> <repository>:<tag>`), in ID order, tags sorted.
    A reference with `<none>` for its repository or tag is no tag (an untagged or digest-only
    image). config_sha256 is the ID's digest: the engine's own digest of the configuration."""
    tags: dict[str, set[str]] = {}
    for line in text.splitlines():
        if not line.strip():
            continue
        ident, sep, ref = line.partition(" ")
        repository, colon, tag = ref.rpartition(":")
        if not (sep and colon and is_image_id(ident)) or '"' in ref or "\\" in ref:
            raise EngineError("the image list printed an unreadable line: %r" % line[:200])
        found = tags.setdefault(ident, set())
        if "<none>" not in (repository, tag):
            found.add(ref)
    return [{"id": ident, "tags": sorted(found), "probe_image": ident in probe_ids,
             "config_sha256": ident[len(IMAGE_ID_PREFIX):]}
            for ident, found in sorted(tags.items())]


def snapshot_images(engine_cli: str, runtime: str = "docker") -> tuple[list[dict], list[str]]:
    """(images, []): two list calls; nothing can vanish between a list and an inspect."""
    commands = _COMMANDS[runtime]
    listing = run_cli([engine_cli, *commands.lists["image"]]).stdout
    probe_ids = set(run_cli([engine_cli, *commands.probe_image_list]).stdout.split())
    return parse_image_list(listing, probe_ids), []


def _inspect(engine_cli: str, kind: str, refs: list[str], runtime: str = "docker") -> str:
    commands = _COMMANDS[runtime]
    result = run_cli([engine_cli] + commands.inspects[kind]
                     + ["--format", commands.templates[kind]] + refs, check=False)
    _fail_unless_vanished(kind, result, runtime)
    return result.stdout


def snapshot_kind(engine_cli: str, kind: str,
                  runtime: str = "docker") -> tuple[list[dict], list[str]]:
    """(objects, refs that vanished while being read), in one list call and batched inspect
    calls at the same time (batches)."""
    if kind == "image":
        return snapshot_images(engine_cli, runtime)
    refs = _list(engine_cli, kind, runtime)
    if not refs:
        return [], []
    parts = batches(refs)
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(parts)) as pool:
        outputs = list(pool.map(lambda part: _inspect(engine_cli, kind, part, runtime), parts))
    found = parse_batch(kind, "\n".join(outputs), runtime)
    objects = [found[ref] for ref in refs if ref in found]
    vanished = [ref for ref in refs if ref not in found]
    return objects, vanished


def fill_network_members(containers: list[dict], networks: list[dict]) -> None:
    """A podman snapshot's networks get Docker's `containers` (IDs, sorted) from the network
    names its containers printed, which are then dropped from the containers' records."""
    members: dict[str, list[str]] = {}
    for container in containers:
        for name in container.pop(_NETWORK_NAMES, []):
            members.setdefault(name, []).append(container["id"])
    for network in networks:
        network["containers"] = sorted(members.get(network["name"], []))


def take_snapshot(engine_cli: str, taken_at: str, runtime: str = "docker") -> dict:
    """The snapshot, with the clock (ns since the epoch, the engine's host clock, as events'
    time_nano) before its first and after its last engine call: an event between the two may
    be seen by it or not, one outside the two is on a known side of it. The kinds are read at
    the same time (one thread each, waiting on its engine call): the snapshot then costs about
    its largest kind, not their sum. A podman snapshot has pods and says `runtime`."""
    kinds = KINDS_OF[runtime]
    snapshot: dict = {"format": SNAPSHOT_FORMAT, "taken_at": taken_at,
                      "started_ns": time.time_ns(), "vanished": []}
    if runtime != "docker":
        snapshot["runtime"] = runtime
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(kinds)) as pool:
        results = list(pool.map(lambda kind: snapshot_kind(engine_cli, kind, runtime), kinds))
    # zip without strict=: module_utils also runs on targets older than Python 3.10.
    for kind, (objects, vanished) in zip(kinds, results):  # noqa: B905
        snapshot[kind + "s"] = objects
        snapshot["vanished"] += ["%s:%s" % (kind, ref) for ref in vanished]
    if runtime == "podman":
        fill_network_members(snapshot["containers"], snapshot["networks"])
    snapshot["finished_ns"] = time.time_ns()
    return snapshot


def _scrub_podman_event_line(line: str) -> dict:
    """One line of Podman's event template as kept. Podman logs no exec command (measured), so
    its template prints none: a line with a tab, other keys than the record's, or a value of
    another type than the template prints is not the template's and is refused."""
    if EVENT_COMMAND_SEPARATOR in line:
        raise ValueError("a podman event line carries no command")
    event = json.loads(line)
    if not isinstance(event, dict) or sorted(event) != sorted(EVENT_KEYS):
        raise ValueError("not the podman event record")
    if not isinstance(event["time_nano"], int) or isinstance(event["time_nano"], bool):
        raise ValueError("no time_nano")
    if not all(isinstance(event[key], str) for key in ("type", "action", "id", "name")):
        raise ValueError("a field of the podman event record is not a string")
    if not (event["container"] is None or isinstance(event["container"], str)) \
            or event["exec_id"] is not None:
        raise ValueError("a podman event record with an exec ID or a non-string container")
    event["command_sha256"] = None
    return event


def scrub_event_line(line: str, runtime: str = "docker") -> dict:
    """One line of the runtime's event template output as kept: an exec's command becomes its
    digest (Docker); Podman's lines never hold one."""
    if runtime == "podman":
        return _scrub_podman_event_line(line)
    head, sep, command = line.partition(EVENT_COMMAND_SEPARATOR)
    event = json.loads(head)
    if not isinstance(event, dict):
        raise ValueError("not an object")
    event["command_sha256"] = sha256_hex(command + "\n") if sep else None
    return event
