# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "non_mutation": the run touched nothing but what it created, and removed that.

As docs/architecture.md classifies it: this run's objects must have been created and be gone;
new objects unrelated to the run are churn, listed, and do not block. The probe image is a
cache, not the run's object: its arrival is reported, not counted as churn.

A pre-existing object that changed, vanished, or had any event during the window makes the run
PARTIAL, with its events cited — unless it is host activity (docs/host-activity.md): no command
of the run named it and the change is exactly the engine's own lifecycle of a container —
die/start pairs matching its RestartCount under a restart policy, `oom`, `health_status`, the
exec events of its own health check (the event's command digest equals the snapshot's) — or a
network's or volume's membership following such a container. Host activity is listed, and does
not block.
"""

from __future__ import annotations

import posixpath
from collections import Counter
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import identity_path
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_log import (
    ENGINE_EVENT_REPLAY_LIMIT,
    may_be_cut,
    replayed_count,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    VOCABULARIES,
    Vocabulary,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect_expected import (
    run_root_of,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    INFO,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_list,
    dig,
    inspect_doc,
    short,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._health_execs import (
    EXEC_ACTIONS,
    health_exec_count,
    health_exec_problem,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._unlisted import (
    unlisted_objects,
)

BEFORE = "snapshots/before.json"
AFTER = "snapshots/after.json"
EVENTS = "engine/events.jsonl"

# kind -> (key field, compared fields). Network membership is compared separately so that a
# new unrelated container joining a network is churn, not a change of the network.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "containers": ("id", ("name", "image", "image_id", "state", "started_at", "restart_count",
                          "restart_policy", "run_id", "config_sha256", "health_cmd_sha256")),
    "networks": ("id", ("name", "driver", "config_sha256")),
    "volumes": ("name", ("driver", "run_id", "config_sha256")),
    "images": ("id", ("tags", "probe_image", "config_sha256")),
    # Podman's alone (the schema forbids them in a Docker snapshot).
    "pods": ("id", ("name", "state", "containers", "run_id", "config_sha256")),
}


def _index(snapshot: Any, kind: str) -> dict[str, dict[str, Any]]:
    key = KINDS[kind][0]
    return {str(obj[key]): obj for obj in as_list(dig(snapshot, kind))
            if isinstance(obj, dict) and isinstance(obj.get(key), str)}


def _listing_problems(snapshot: Any, path: str) -> list[str]:
    """A snapshot lists each object once, and each network member once: one engine call per
    kind prints each object once, so a repeat is not the engine's listing (never last-wins)."""
    problems = []
    for kind, (key, dummy) in KINDS.items():
        keys = Counter(str(obj.get(key)) for obj in as_list(dig(snapshot, kind))
                       if isinstance(obj, dict))
        repeated = sorted(k for k, times in keys.items() if times > 1)
        if repeated:
            problems.append("%s lists %s %s more than once" % (path, kind, short(repeated, 120)))
    for network in as_list(dig(snapshot, "networks")):
        members = as_list(dig(network, "containers"))
        if len(set(map(str, members))) != len(members):
            problems.append("%s lists a member of network %s more than once" % (
                path, short(dig(network, "name"), 40)))
    vanished = as_list(dig(snapshot, "vanished"))
    if len(set(map(str, vanished))) != len(vanished):
        problems.append("%s lists a vanished object more than once" % path)
    return problems + _value_problems(snapshot, path)


# The states the engine reports for a container (State.Status), per runtime (the snapshot's
# `runtime`, docker when it has none): Podman's libpod states.
ENGINE_STATES = {
    "docker": frozenset({"created", "restarting", "running", "removing", "paused", "exited",
                         "dead"}),
    "podman": frozenset({"configured", "created", "running", "stopped", "paused", "exited",
                         "removing", "stopping", "unknown"}),
}
# From format 3 an image's config_sha256 is its ID's digest (module_utils/_snapshot).
IMAGE_ID_DIGEST_FORMAT = 3


def _value_problems(snapshot: Any, path: str) -> list[str]:
    """Values only the engine's listing can hold: a container state it reports, an image
    digest that is the image's ID."""
    problems = []
    known = ENGINE_STATES.get(str(dig(snapshot, "runtime", default="docker")), frozenset())
    states = sorted({str(c.get("state")) for c in as_list(dig(snapshot, "containers"))
                     if isinstance(c, dict) and c.get("state") not in known})
    if states:
        problems.append("%s lists container states the engine does not report: %s"
                        % (path, short(states, 120)))
    if dig(snapshot, "format") == IMAGE_ID_DIGEST_FORMAT:
        images = sorted(str(i.get("id")) for i in as_list(dig(snapshot, "images"))
                        if isinstance(i, dict)
                        and "sha256:%s" % i.get("config_sha256") != i.get("id"))
        if images:
            problems.append("%s lists images whose config_sha256 is not their ID's digest: %s"
                            % (path, short(images, 120)))
    return problems


def _normal(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list) else value


def _run_containers(evidence: Evidence, identities: list[str], run_id: Any) -> dict[str, str]:
    """ID -> name of the containers this run created (from result.json and inspect)."""
    found: dict[str, str] = {}
    for identity in identities:
        for ident in (dig(evidence.identity_doc(identity, "result.json"), "container_id"),
                      dig(inspect_doc(evidence.identity_doc(identity, "inspect.json")), "Id")):
            if isinstance(ident, str) and ident:
                try:
                    found[ident] = _profile.container_name(run_id, identity)
                except _profile.ProfileError:
                    found[ident] = identity
    return found


def _is_run_container(key: str, obj: dict[str, Any], run_containers: dict[str, str],
                      run_names: set[str]) -> bool:
    """A container of this run, under its name or under its ID in any case or cut short (a
    leftover is this run's, never churn)."""
    folded = key.lower()
    return obj.get("name") in run_names or any(
        ident == folded or (len(folded) >= 12 and ident.startswith(folded))
        for ident in run_containers)


# What a container's own lifecycle may change in its snapshot, and the restart policies under
# which the engine itself restarts it.
LIFECYCLE_FIELDS = frozenset({"state", "started_at", "restart_count"})
RESTART_POLICIES = frozenset({"always", "unless-stopped", "on-failure"})
# Where the engine's restart manager restarts a container from: it was running, or waited for
# its backoff (restarting). An exited, created or paused container does not die.
RESTARTED_FROM = frozenset({"running", "restarting"})


def _named_by_run(evidence: Evidence, identities: list[str]) -> set[str]:
    """Every word of the commands this run recorded (argv and result.json's command list)."""
    words: set[str] = set()
    for identity in identities:
        argv = evidence.identity_doc(identity, "argv.json")
        commands = dig(evidence.identity_doc(identity, "result.json"), "commands")
        for command in [argv, *as_list(commands)]:
            for word in as_list(command):
                if isinstance(word, str):
                    words.add(word)
                    words.update(part for part in word.replace(",", "=").split("=") if part)
    return words


def _is_named(words: set[str], ident: str, name: str | None) -> bool:
    return (ident in words or (name is not None and name in words)
            or any(len(word) >= 12 and ident.startswith(word) for word in words))


# An event may name an object by a short ID of at least this many of its 64 hex digits.
SHORT_ID_DIGITS = 12
FULL_ID_DIGITS = 64


class EventIndex:
    """The window's events by object ID and by name, so that finding one object's events costs
    what it finds, not the whole log (work linear in objects and events)."""

    def __init__(self, events: list[dict[str, Any]]) -> None:
        self.by_id: dict[str, list[int]] = {}
        self.by_name: dict[str, list[int]] = {}
        self.events = events
        for number, event in enumerate(events):
            event_id = str(event.get("id", ""))
            self.by_id.setdefault(event_id, []).append(number)
            name = event.get("name")
            if isinstance(name, str) and name:
                self.by_name.setdefault(name, []).append(number)

    def of(self, ident: str, name: str | None) -> list[dict[str, Any]]:
        """An object's events: its exact ID, a short ID of at least 12 of its digits, or its
        name; in log order."""
        return [self.events[n] for n in sorted(self._numbers(ident, name))]

    def has(self, ident: str, name: str | None) -> bool:
        """Whether the object has any event, without collecting them."""
        return any(ref in self.by_id for ref in self._ids(ident)) or bool(
            name and name in self.by_name)

    @staticmethod
    def _ids(ident: str) -> list[str]:
        """The IDs an event may name this object by: itself and each short form. One lookup
        each: scanning every short-ID event for every object made vanished objects x events
        quadratic (4,000 x 40,000: 37 s)."""
        if not ident:
            return []
        return [ident] + [ident[:length] for length in range(
            SHORT_ID_DIGITS, min(len(ident) - 1, FULL_ID_DIGITS - 1) + 1)]

    def _numbers(self, ident: str, name: str | None) -> set[int]:
        numbers: set[int] = set()
        for ref in self._ids(ident):
            numbers.update(self.by_id.get(ref, ()))
        if name:
            numbers.update(self.by_name.get(name, ()))
        return numbers


def _loaded_probe_image(ident: str, obj: dict[str, Any], image_id: Any,
                        words: Vocabulary) -> Check:
    """The probe image loaded during the run is the run's image, labelled and tagged as the
    collection makes it (plugin_utils/_probe_image), and nothing else; Podman lists a short
    name under its `localhost/` registry (measured)."""
    tags = [words.local_tag_prefix + _profile.probe_image_tag(str(image_id).split(":", 1)[-1])]
    if ident != image_id or obj.get("probe_image") is not True or obj.get("tags") != tags:
        seen = "%s (labelled %s, tags %s)" % (
            short(ident, 80), short(obj.get("probe_image")), short(obj.get("tags"), 120))
        return Check("probe_image", FAIL, "a probe image %s appeared, not the run's %s tagged %s"
                     % (seen, short(image_id, 80), tags[0]), refs=(AFTER,))
    return Check("probe_image", INFO, "the probe image %s was loaded (a cache, kept between "
                 "runs)" % short(ident, 24), refs=(AFTER,))


_HEX64 = frozenset("0123456789abcdef")


def _image_id_as_listed(event: dict[str, Any]) -> dict[str, Any]:
    """A Podman image event's bare-hex ID as the snapshots list the image (`sha256:<hex>`), so
    that the image's own events are found for it (a pre-existing image tagged or removed in
    the window is a change, as under Docker)."""
    ident = event.get("id")
    if event.get("type") == "image" and isinstance(ident, str) and len(ident) == 64 \
            and set(ident) <= _HEX64:
        return {**event, "id": "sha256:" + ident}
    return event


def probe_image_loads(events: list[dict[str, Any]], image_id: Any, words: Vocabulary,
                      archive: str | None = None) -> list[dict[str, Any]]:
    """The run's load of the probe image as the engine logs it: Docker names the image ID as
    actor and name (or its tag); Podman names no image, only the archive it read, which the
    run names _profile.PROBE_ARCHIVE: in the automated path's run directory (`archive`, when
    the run root is known), or beside the packet's script, wherever the operator put it."""
    if words.load_names_image:
        tag = _profile.probe_image_tag(str(image_id).split(":", 1)[-1])
        return [e for e in events if e.get("type") == "image" and e.get("action") == words.load
                and e.get("id") == image_id and e.get("name") in (image_id, tag)]
    return [e for e in events if e.get("type") == "image" and e.get("action") == words.load
            and e.get("id") == "" and isinstance(e.get("name"), str)
            and e["name"].startswith("/") and posixpath.normpath(e["name"]) == e["name"]
            and posixpath.basename(e["name"]) == _profile.PROBE_ARCHIVE
            and (archive is None or e["name"] == archive)]


def _probe_archive(evidence: Evidence, identities: list[str], run_id: Any) -> str | None:
    """Where the automated path's run loaded the probe image from: <run root>/<run id>/
    PROBE_ARCHIVE (roles/probe_image), the run root as the argv's /in bind names it; None
    for the packet, or when no argv names a run root (other findings say so)."""
    run = evidence.doc("run.json")
    if dig(run, "producer", "path") != "automated" or not isinstance(run_id, str):
        return None
    for identity in identities:
        root = run_root_of(evidence.identity_doc(identity, "argv.json"), run_id, identity)
        if root is not None:
            return "%s/%s/%s" % (root.rstrip("/"), run_id, _profile.PROBE_ARCHIVE)
    return None


def _probe_image_events(events: list[dict[str, Any]], loads: list[dict[str, Any]],
                        present_before: bool, image_id: Any) -> Check | None:
    """The probe image's events are the run's load of it, once, when it was absent
    (plugins/action/probe_image: load only if absent). None else."""
    expected = 0 if present_before else 1
    if len(loads) == expected and len(events) == expected:
        return None
    return Check("probe_image_events", PARTIAL, "the probe image %s was %s before the run, and "
                 "its events in the window are %s: the run loads it once, only when absent"
                 % (short(image_id, 24), "present" if present_before else "absent",
                    "; ".join(_cite(events)) or "none"), refs=(BEFORE, AFTER, EVENTS))


def _has_events(index: EventIndex, ident: str, obj: dict[str, Any]) -> bool:
    """Whether the log has an event of this object: by ID (an image's also without its
    `sha256:`), by name, or (an image) by one of its tags."""
    name = obj.get("name") if isinstance(obj.get("name"), str) else None
    refs = [ident, ident.split(":", 1)[-1], *map(str, as_list(obj.get("tags")))]
    return bool(index.of(ident, name)) or any(ref in index.by_id for ref in refs)


def _object_events(index: EventIndex, ident: str, name: str | None,
                   ours: set[str], others: set[str]) -> list[dict[str, Any]]:
    """The events of one object, less those a container of this run caused on it and those of
    containers that did not exist before the run (churn: listed as such)."""
    found = []
    for event in index.of(ident, name):
        if event.get("container") in ours:
            continue
        if event.get("container") is not None and event.get("container") not in others:
            continue
        found.append(event)
    return found


def _cite(events: list[dict[str, Any]]) -> list[str]:
    return ["%s %s %s at %s" % (e.get("type"), e.get("action"),
                                short(e.get("name") or str(e.get("id", ""))[:12], 40),
                                e.get("time_nano")) for e in events]


Window = tuple[int, int, int, int]


def _window(before: Any, after: Any) -> Window | None:
    """(before started, before finished, after started, after finished), ns, when recorded."""
    bounds = (dig(before, "started_ns"), dig(before, "finished_ns"),
              dig(after, "started_ns"), dig(after, "finished_ns"))
    if all(isinstance(b, int) and not isinstance(b, bool) for b in bounds) \
            and list(bounds) == sorted(bounds):
        return bounds  # type: ignore[return-value]
    return None


def _restarts_match(old: dict[str, Any], new: dict[str, Any], diffs: list[str],
                    counted: list[str]) -> bool:
    """The snapshots' difference is exactly what these die/start/oom events did."""
    dies, starts, ooms = (counted.count(action) for action in ("die", "start", "oom"))
    if not counted:
        return not diffs
    restarts, was = new.get("restart_count"), old.get("restart_count")
    if not (isinstance(restarts, int) and isinstance(was, int)):
        return False
    if old.get("restart_policy") not in RESTART_POLICIES or not diffs:
        return False
    if dies and old.get("state") not in RESTARTED_FROM:
        return False
    # The engine counts a restart when it decides it, at the `die` (daemon/monitor.go), and
    # starts the container after a backoff: each die adds one to RestartCount, and the starts
    # differ from the dies by at most one. A restarted container is running or waits to
    # restart; only on-failure's retry limit (or a clean exit) leaves it exited, that last die
    # uncounted.
    state = new.get("state")
    if state in ("running", "restarting"):
        expected = dies
    elif state == "exited" and old.get("restart_policy") == "on-failure" and dies:
        expected = dies - 1
    else:
        return False
    return restarts - was == expected and abs(starts - dies) <= 1 and ooms <= dies


def _split_by_snapshots(lifecycle: list[dict[str, Any]], window: Window | None,
                        ) -> list[list[str]]:
    """Every list of actions the snapshots may have seen between them. The event log covers
    more than the two snapshots: an event before the first snapshot started or after the
    second finished is outside; one while a snapshot ran may be on either side of it."""
    if window is None:
        return [[str(e.get("action")) for e in lifecycle]]
    b0, b1, a0, a1 = window
    timed = [(e.get("time_nano") if isinstance(e.get("time_nano"), int) else 0,
              str(e.get("action"))) for e in lifecycle]
    edge_before = [act for t, act in timed if b0 <= t <= b1]
    inner = [act for t, act in timed if b1 < t < a0]
    edge_after = [act for t, act in timed if a0 <= t <= a1]
    return [edge_before[len(edge_before) - i:] + inner + edge_after[:j]
            for i in range(len(edge_before) + 1) for j in range(len(edge_after) + 1)]


def _foreign_form(events: list[dict[str, Any]], ident: str,
                  names: set[str]) -> dict[str, Any] | None:
    """An event found for this object (by name, or by a short ID) that does not carry its full
    ID and a name the snapshots give it: the engine names each event's actor as it is, so this
    is another object's event, or an edited one, and never the object's own lifecycle."""
    for event in events:
        name = event.get("name")
        if event.get("id") != ident or (names and name and name not in names):
            return event
    return None


def _own_lifecycle(old: dict[str, Any], new: dict[str, Any], diffs: list[str],
                   events: list[dict[str, Any]], window: Window | None,
                   ) -> tuple[str | None, bool]:
    """(Why a pre-existing container's change is its own lifecycle, or None when it is not;
    whether it restarted)."""
    if any(field not in LIFECYCLE_FIELDS for field in diffs):
        return None, False
    names = {str(n) for n in (old.get("name"), new.get("name")) if isinstance(n, str)}
    if _foreign_form(events, str(old.get("id")), names) is not None:
        return None, False
    health = old.get("health_cmd_sha256")
    execs = [e for e in events if e.get("action") in EXEC_ACTIONS]
    if health_exec_problem(execs, health) is not None:
        return None, False
    lifecycle: list[dict[str, Any]] = []
    statuses = 0
    for event in events:
        action = event.get("action")
        if action in EXEC_ACTIONS:
            continue
        if action == "health_status" and isinstance(health, str):
            statuses += 1
        elif action in ("die", "start", "oom"):
            lifecycle.append(event)
        else:
            return None, False
    lifecycle.sort(key=lambda e: e.get("time_nano") or 0)
    if not any(_restarts_match(old, new, diffs, counted)
               for counted in _split_by_snapshots(lifecycle, window)):
        return None, False
    parts = []
    if lifecycle:
        actions = [str(e.get("action")) for e in lifecycle]
        parts.append("restarted by its %s policy (%d die, %d start, RestartCount %s -> %s)"
                     % (old.get("restart_policy"), actions.count("die"), actions.count("start"),
                        old.get("restart_count"), new.get("restart_count")))
    if execs or statuses:
        parts.append("its own health check (%d exec events, %d health_status)"
                     % (health_exec_count(execs), statuses))
    return "; ".join(parts) or None, bool(lifecycle)


def _follows_lifecycle(events: list[dict[str, Any]], moved: set[str],
                       restarted: set[str]) -> bool:
    """A network's or volume's membership changed, and its events were, only through
    containers the engine restarted by their policy (a restart leaves and rejoins the
    container's networks; a health check does not): each member that came or went has its
    connect or disconnect here."""
    if not moved <= restarted:
        return False
    if not moved <= {str(event.get("container")) for event in events}:
        return False
    return all(event.get("action") in ("connect", "disconnect", "mount", "unmount")
               and event.get("container") in restarted for event in events)


def check_non_mutation(evidence: Evidence, identities: list[str]) -> Finding:
    finding = Finding("non_mutation")
    before, after = evidence.doc(BEFORE), evidence.doc(AFTER)
    events = [e for e in as_list(evidence.doc(EVENTS)) if isinstance(e, dict)]
    run = evidence.doc("run.json")
    run_id = dig(run, "run_id")
    image_id = dig(run, "image_id")
    words = VOCABULARIES[evidence.runtime()]
    if words.image_ids_bare:
        events = [_image_id_as_listed(event) for event in events]
    loads = probe_image_loads(events, image_id, words,
                              _probe_archive(evidence, identities, run_id))
    churn: list[str] = []
    changed: list[dict[str, Any]] = []
    finding.extra.update({"churn": churn, "changed": changed, "probe_image": None})
    if not isinstance(before, dict) or not isinstance(after, dict):
        finding.add(Check("snapshots", MISSING, "no before/after snapshots: non-mutation cannot "
                          "be shown", refs=(BEFORE, AFTER)))
        return finding
    if EVENTS not in evidence.docs:
        finding.add(Check("events", MISSING, "no engine event log for the run window",
                          refs=(EVENTS,)))
    elif may_be_cut(evidence):
        finding.add(Check("events", PARTIAL, "the event log holds %d events the engine replayed, "
                          "as many as it replays (%d): the window's oldest events may be lost"
                          % (replayed_count(evidence), ENGINE_EVENT_REPLAY_LIMIT),
                          refs=(EVENTS, "run.json")))

    run_containers = _run_containers(evidence, identities, run_id)
    ours = set(run_containers)
    # Each snapshot indexed once, by kind and key; the event log once, by ID and name.
    olds = {kind: _index(before, kind) for kind in KINDS}
    news = {kind: _index(after, kind) for kind in KINDS}
    index = EventIndex(events)
    listing = _listing_problems(before, BEFORE) + _listing_problems(after, AFTER)
    if before.get("format") != after.get("format"):
        # One run takes both snapshots with one template: their formats cannot differ.
        listing.append("the snapshots' formats differ (%s before, %s after)" % (
            short(before.get("format")), short(after.get("format"))))
    if listing:
        finding.add(Check("snapshot_listing", FAIL, "; ".join(listing), refs=(BEFORE, AFTER)))
    for path, snapshot in ((BEFORE, before), (AFTER, after)):
        for ref in as_list(dig(snapshot, "vanished")):
            kind, _sep, ident = str(ref).partition(":")
            if kind + "s" not in KINDS or not ident or not index.has(ident, ident):
                finding.add(Check("vanished", PARTIAL, "%s: %s vanished while the snapshot ran, "
                                  "and no event of the window shows it go" % (path, short(ref)),
                                  refs=(path, EVENTS)))
    run_names = set(run_containers.values())
    for kind in KINDS:
        old, new = olds[kind], news[kind]
        for key, obj in new.items():
            if (obj.get("run_id") is not None and obj.get("run_id") == run_id) or (
                    kind == "containers" and _is_run_container(key, obj, run_containers,
                                                               run_names)):
                ours.add(key)
        for ident in sorted(ours & set(new)):
            finding.add(Check("run_objects_gone", PARTIAL, "this run's %s %s was left behind"
                              % (kind[:-1], short(new[ident].get("name") or ident, 60)),
                              refs=(AFTER,)))
        for ident in sorted(ours & set(old)):
            finding.add(Check("run_objects_gone", PARTIAL, "this run's %s %s existed before it "
                              "started" % (kind[:-1], short(old[ident].get("name") or ident, 60)),
                              refs=(BEFORE,)))

    for ident, run_name in sorted(run_containers.items()):
        actions = {e.get("action") for e in index.of(ident, None) if e.get("id") == ident}
        if EVENTS in evidence.docs and not {words.created, words.removed} <= actions:
            finding.add(Check("run_objects_gone", PARTIAL, "the event log does not show %s "
                              "created and removed (saw %s)" % (run_name,
                                                                sorted(map(str, actions))),
                              refs=(EVENTS, *(identity_path(i, "result.json")
                                              for i in identities))))

    new_containers = set(news["containers"]) - set(olds["containers"])
    named = _named_by_run(evidence, identities)
    pre_existing = set(olds["containers"]) - ours
    window = _window(before, after)
    activity: list[dict[str, Any]] = []
    finding.extra["host_activity"] = activity
    # Containers first: a network's or volume's change is host activity only when it follows
    # a container whose own lifecycle explains it.
    restarted: set[str] = set()
    for kind, (dummy, fields) in KINDS.items():
        old, new = olds[kind], news[kind]
        for ident, obj in sorted(old.items()):
            if ident in ours:
                continue
            obj_name = obj.get("name")
            name: str | None = obj_name if isinstance(obj_name, str) else None
            label = "%s %s" % (kind[:-1], short(name or ident[:12], 60))
            own_events = _object_events(index, ident, name, ours, pre_existing)
            if ident not in new:
                cited = _cite(own_events)
                changed.append({"kind": kind[:-1], "id": ident, "name": name, "change": "gone",
                                "events": cited})
                finding.add(Check("pre_existing", PARTIAL, "pre-existing %s is gone during the "
                                  "run window (events: %s)" % (label, "; ".join(cited) or "none"),
                                  expected="present and unchanged", observed="gone",
                                  refs=(BEFORE, AFTER, EVENTS)))
                continue
            changed_fields = [f for f in fields
                              if _normal(obj.get(f)) != _normal(new[ident].get(f))]
            diffs = ["%s %s -> %s" % (f, short(obj.get(f), 40), short(new[ident].get(f), 40))
                     for f in changed_fields]
            moved: set[str] = set()
            if kind == "networks":
                # Only containers that existed before count: new ones joining are churn.
                was = set(map(str, as_list(obj.get("containers"))))
                now = set(map(str, as_list(new[ident].get("containers")))) - new_containers
                if was != now:
                    moved = was ^ now
                    diffs.append("members %s -> %s" % (sorted(was), sorted(now)))
            if not diffs and not own_events:
                continue
            cited = _cite(own_events)
            reason: str | None = None
            if not _is_named(named, ident, name):
                if kind == "containers":
                    reason, restarts = _own_lifecycle(obj, new[ident], changed_fields,
                                                      own_events, window)
                    if reason and restarts:
                        restarted.add(ident)
                elif not changed_fields and _foreign_form(
                        own_events, ident,
                        {name} if kind == "networks" and name else set()) is None \
                        and _follows_lifecycle(own_events, moved, restarted):
                    reason = "membership follows the lifecycle of %s" % ", ".join(
                        sorted(short(c, 12) for c in moved | {
                            str(e.get("container")) for e in own_events}))
            if reason:
                activity.append({"kind": kind[:-1], "id": ident, "name": name,
                                 "change": "; ".join(diffs) or "none", "reason": reason,
                                 "events": cited})
                continue
            change = "; ".join(diffs) or "events without a matching change"
            changed.append({"kind": kind[:-1], "id": ident, "name": name,
                            "change": change, "events": cited})
            finding.add(Check("pre_existing", PARTIAL, "pre-existing %s changed during the "
                              "run window: %s (events: %s)" % (label, change,
                                                               "; ".join(cited) or "none"),
                              expected="unchanged", observed=change,
                              refs=(BEFORE, AFTER, EVENTS)))
        for ident, obj in sorted(new.items()):
            if ident in old or ident in ours:
                continue
            if kind == "images" and (ident == image_id or obj.get("probe_image") is True):
                finding.extra["probe_image"] = ident
                finding.add(_loaded_probe_image(ident, obj, image_id, words))
                continue
            label = "%s %s" % (kind[:-1], short(obj.get("name") or obj.get("tags") or ident, 60))
            if not _has_events(index, ident, obj):
                # A new object is made by an engine call, which the window's log records.
                finding.add(Check("appeared", PARTIAL, "%s appeared during the run window "
                                  "without an event of its own" % label, refs=(AFTER, EVENTS)))
                continue
            churn.append(label)

    known = ours | {str(o.get(KINDS[k][0])) for k in KINDS for snap in (before, after)
                    for o in as_list(dig(snap, k)) if isinstance(o, dict)}
    transient, unexplained = unlisted_objects(
        [e for e in events if not any(e is load for load in loads)], known, image_id,
        words.created_or_removed)
    churn.extend("%s (created and gone within the window)" % item for item in transient)
    if unexplained:
        finding.add(Check("unlisted", PARTIAL, "the event log names objects neither snapshot "
                          "lists, without their creation or removal: %s"
                          % short("; ".join(unexplained), 600), refs=(BEFORE, AFTER, EVENTS)))
    probe_events = _probe_image_events(
        [*index.of(str(image_id), None), *(loads if not words.load_names_image else [])],
        loads, str(image_id) in olds["images"], image_id)
    if probe_events is not None:
        finding.add(probe_events)
    if activity:
        finding.add(Check("host_activity", INFO, "host activity during the run window (the "
                          "engine's own lifecycle of objects no command of the run named; "
                          "listed, not blocking): %s" % ", ".join(
                              "%s %s: %s" % (a["kind"], short(a["name"] or a["id"][:12], 40),
                                             a["reason"]) for a in activity),
                          refs=(BEFORE, AFTER, EVENTS)))
    if churn:
        finding.add(Check("churn", INFO, "unrelated objects appeared during the run window "
                          "(churn, does not block): %s" % ", ".join(churn), refs=(AFTER, EVENTS)))
    if not any(check.outcome in (PARTIAL, MISSING) for check in finding.checks):
        finding.add(Check("non_mutation", PASS, "this run's objects were created and are gone; "
                          "nothing pre-existing changed", refs=(BEFORE, AFTER, EVENTS)))
    return finding
