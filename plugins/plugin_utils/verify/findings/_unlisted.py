# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Objects the event log names that neither snapshot lists (docs/host-activity.md).

Such an object did not exist when either snapshot looked: it was made and removed within the
window (churn), or made after the second snapshot, or removed before the first. Either way the
engine logged its creation or its removal in the window. A container, network or volume the
log names — by an event's ID, or as the `container` of a network's or volume's event — with
neither is no object the engine had: the log is edited, or names an object under another
form. That keeps the run PARTIAL: the log does not explain itself.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import DOCKER
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import short

# The actions by which the engine logs an object coming or going, per event type whose actor
# is the object itself (verify/_event_vocabulary.py, per runtime). Images are named by
# references as well as IDs; their arrival is judged by the snapshots (non_mutation's
# "appeared"), not here.
CREATED_OR_REMOVED = DOCKER.created_or_removed


def unlisted_objects(events: list[dict[str, Any]], listed: set[str], image_id: Any,
                     created_or_removed: dict[str, frozenset[str]] | None = None,
                     ) -> tuple[list[str], list[str]]:
    """(churn: objects made or removed within the window, by label; unexplained: objects the
    log names without their creation or removal, each with its events)."""
    if created_or_removed is None:
        created_or_removed = CREATED_OR_REMOVED
    groups: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for event in events:
        ident = str(event.get("id"))
        if ident not in listed and event.get("id") != image_id:
            groups.setdefault((str(event.get("type")), ident), []).append(event)
    for event in events:
        member = event.get("container")
        if member is not None and str(member) not in listed:
            groups.setdefault(("container", str(member)), [])
    churn: set[str] = set()
    unexplained = []
    for (kind, ident), own in sorted(groups.items()):
        named = next((str(e.get("name")) for e in own if e.get("name")), ident)
        label = "%s %s" % (kind, short(named, 60))
        actions = sorted({str(e.get("action")) for e in own})
        if kind in created_or_removed and not created_or_removed[kind] & set(actions):
            unexplained.append("%s %s (its events: %s)" % (
                kind, short(named if named != ident else ident, 70),
                ", ".join(actions) or "none; named by another object's event"))
        else:
            churn.add(label)
    return sorted(churn), unexplained
