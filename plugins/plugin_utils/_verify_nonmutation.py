# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "non_mutation": the run touched nothing but what it created, and removed that.

As DESIGN classifies it: this run's objects must have been created and be gone; a
pre-existing object that changed or vanished during the window makes the run PARTIAL (the
verifier cannot tell the cause, so the engine's events for that object are cited); new objects
unrelated to the run are churn, listed, and do not block. The probe image is a cache, not the
run's object: its arrival is reported, not counted as churn.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_bundle import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_model import (
    INFO,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._verify_util import (
    as_list,
    dig,
    identity_path,
    inspect_doc,
    short,
)

BEFORE = "snapshots/before.json"
AFTER = "snapshots/after.json"
EVENTS = "engine/events.jsonl"

# kind -> (key field, compared fields). Network membership is compared separately so that a
# new unrelated container joining a network is churn, not a change of the network.
KINDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "containers": ("id", ("name", "image", "image_id", "state", "started_at", "restart_count",
                          "run_id", "config_sha256")),
    "networks": ("id", ("name", "driver", "config_sha256")),
    "volumes": ("name", ("driver", "run_id", "config_sha256")),
    "images": ("id", ("tags", "probe_image", "config_sha256")),
}


def _index(snapshot: Any, kind: str) -> dict[str, dict[str, Any]]:
    key = KINDS[kind][0]
    return {str(obj[key]): obj for obj in as_list(dig(snapshot, kind))
            if isinstance(obj, dict) and isinstance(obj.get(key), str)}


def _normal(value: Any) -> Any:
    return sorted(map(str, value)) if isinstance(value, list) else value


def _events_for(events: list[dict[str, Any]], ident: str, name: str | None) -> list[str]:
    cited = []
    for event in events:
        event_id = str(event.get("id", ""))
        # Exact ID, a short ID of at least 12 hex digits, or the object's name.
        by_id = bool(ident) and (event_id == ident or (
            len(event_id) >= 12 and ident.startswith(event_id)))
        if by_id or (name and event.get("name") == name):
            cited.append("%s %s %s at %s" % (event.get("type"), event.get("action"),
                                             short(event.get("name") or event_id[:12], 40),
                                             event.get("time_nano")))
    return cited


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


def check_non_mutation(evidence: Evidence, identities: list[str]) -> Finding:
    finding = Finding("non_mutation")
    before, after = evidence.doc(BEFORE), evidence.doc(AFTER)
    events = [e for e in as_list(evidence.doc(EVENTS)) if isinstance(e, dict)]
    run = evidence.doc("run.json")
    run_id = dig(run, "run_id")
    image_id = dig(run, "image_id")
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

    run_containers = _run_containers(evidence, identities, run_id)
    ours = set(run_containers)
    for kind in KINDS:
        old, new = _index(before, kind), _index(after, kind)
        for key, obj in new.items():
            if obj.get("run_id") is not None and obj.get("run_id") == run_id:
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
        actions = {e.get("action") for e in events if e.get("id") == ident}
        if EVENTS in evidence.docs and not {"create", "destroy"} <= actions:
            finding.add(Check("run_objects_gone", PARTIAL, "the event log does not show %s "
                              "created and removed (saw %s)" % (run_name,
                                                                sorted(map(str, actions))),
                              refs=(EVENTS, *(identity_path(i, "result.json")
                                              for i in identities))))

    new_containers = set(_index(after, "containers")) - set(_index(before, "containers"))
    for kind, (dummy, fields) in KINDS.items():
        old, new = _index(before, kind), _index(after, kind)
        for ident, obj in sorted(old.items()):
            if ident in ours:
                continue
            obj_name = obj.get("name")
            name: str | None = obj_name if isinstance(obj_name, str) else None
            label = "%s %s" % (kind[:-1], short(name or ident[:12], 60))
            if ident not in new:
                cited = _events_for(events, ident, name)
                changed.append({"kind": kind[:-1], "id": ident, "name": name, "change": "gone",
                                "events": cited})
                finding.add(Check("pre_existing", PARTIAL, "pre-existing %s is gone during the "
                                  "run window (events: %s)" % (label, "; ".join(cited) or "none"),
                                  expected="present and unchanged", observed="gone",
                                  refs=(BEFORE, AFTER, EVENTS)))
                continue
            diffs = ["%s %s -> %s" % (f, short(obj.get(f), 40), short(new[ident].get(f), 40))
                     for f in fields if _normal(obj.get(f)) != _normal(new[ident].get(f))]
            if kind == "networks":
                # Only containers that existed before count: new ones joining are churn.
                was = set(map(str, as_list(obj.get("containers"))))
                now = set(map(str, as_list(new[ident].get("containers")))) - new_containers
                if was != now:
                    diffs.append("members %s -> %s" % (sorted(was), sorted(now)))
            if diffs:
                cited = _events_for(events, ident, name)
                changed.append({"kind": kind[:-1], "id": ident, "name": name,
                                "change": "; ".join(diffs), "events": cited})
                finding.add(Check("pre_existing", PARTIAL, "pre-existing %s changed during the "
                                  "run window: %s (events: %s)" % (label, "; ".join(diffs),
                                                                   "; ".join(cited) or "none"),
                                  expected="unchanged", observed="; ".join(diffs),
                                  refs=(BEFORE, AFTER, EVENTS)))
        for ident, obj in sorted(new.items()):
            if ident in old or ident in ours:
                continue
            if kind == "images" and (ident == image_id or obj.get("probe_image") is True):
                finding.extra["probe_image"] = ident
                finding.add(Check("probe_image", INFO, "the probe image %s was loaded (a cache, "
                                  "kept between runs)" % short(ident, 24), refs=(AFTER,)))
                continue
            churn.append("%s %s" % (kind[:-1], short(obj.get("name") or obj.get("tags") or ident,
                                                     60)))

    known = ours | {str(o.get(KINDS[k][0])) for k in KINDS for snap in (before, after)
                    for o in as_list(dig(snap, k)) if isinstance(o, dict)}
    transient = sorted({"%s %s" % (e.get("type"), short(e.get("name") or e.get("id"), 60))
                        for e in events if str(e.get("id")) not in known
                        and e.get("id") != image_id})
    churn.extend("%s (created and gone within the window)" % item for item in transient)
    if churn:
        finding.add(Check("churn", INFO, "unrelated objects appeared during the run window "
                          "(churn, does not block): %s" % ", ".join(churn), refs=(AFTER, EVENTS)))
    if not any(check.outcome in (PARTIAL, MISSING) for check in finding.checks):
        finding.add(Check("non_mutation", PASS, "this run's objects were created and are gone; "
                          "nothing pre-existing changed", refs=(BEFORE, AFTER, EVENTS)))
    return finding
