# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "venue": is the evidence from the approved host it claims, as pinned?

The fingerprint (sha256 of the machine-id's digest and the engine ID, computed on the host) is
recomputed from what venue.json holds — a fingerprint that does not follow is an edited bundle,
FAILED — and compared with the pin the inventory holds for that host. A rehearsal venue, an
unpinned or unapproved host is never READY: a local venue is never a substitute for the approved
one (the seed's venue honesty). None of these is a failed boundary, so each makes the run
PARTIAL.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _facts
from ansible_collections.sandbox.attest.plugins.module_utils._venue_signature import (
    PinError,
    parse_pin,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle_format
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import dig, short

FINGERPRINT = re.compile(r"^sha256:[0-9a-f]{64}$")

# Exact reason texts: the playbook and the tests key on them.
REASON_REHEARSAL = "rehearsal venue"
REASON_UNPINNED = "unpinned venue"
REASON_UNAPPROVED = "unapproved venue"
REASON_MISMATCH = "venue fingerprint mismatch"
REASON_NO_FINGERPRINT = "no venue fingerprint in the evidence"
REASON_OTHER_HOST = "bundle is for another host"
REASON_ENGINE_MISMATCH = "venue engine ID mismatch"
REASON_OLD_METHOD = "venue fingerprint of an earlier method, not recomputable"


@dataclass(frozen=True)
class Venues:
    """The inventory's view: approved hosts with their pins, and rehearsal hosts."""

    approved: dict[str, str | None] = field(default_factory=dict)
    rehearsal: frozenset[str] = frozenset()
    # The engine ID pinned with the fingerprint: the fingerprint cannot be recomputed without
    # the machine-id, so only this pin catches an engine ID changed in venue.json and the facts.
    engines: dict[str, str] = field(default_factory=dict)
    # The venue's public SSH host key, `<type> <base64>`: the key its evidence must be signed
    # with (finding "signature").
    host_keys: dict[str, str] = field(default_factory=dict)


class VenueError(ValueError):
    """The approved_venues option is malformed (misuse, reported by the action plugin)."""


def parse_venues(approved: Any, rehearsal: Any) -> Venues:
    """approved: {host: {fingerprint: "sha256:..." | null, engine_id: str (optional),
    host_key: "<type> <base64>" (optional)} | null}; rehearsal: [host]."""
    if approved is None:
        approved = {}
    if not isinstance(approved, dict):
        raise VenueError("approved_venues must be a mapping of host to {fingerprint: ...}")
    if rehearsal is not None and not isinstance(rehearsal, (list, tuple, set, frozenset)):
        raise VenueError("rehearsal_venues must be a list of hosts")
    pins: dict[str, str | None] = {}
    engines: dict[str, str] = {}
    host_keys: dict[str, str] = {}
    for host, value in approved.items():
        host_key = value.get("host_key") if isinstance(value, dict) else None
        if host_key not in (None, ""):
            try:
                host_keys[str(host)] = parse_pin(host_key)
            except PinError as exc:
                raise VenueError("approved_venues[%s].host_key: %s" % (host, exc)) from exc
        engine = value.get("engine_id") if isinstance(value, dict) else None
        if engine not in (None, ""):
            if not isinstance(engine, str):
                raise VenueError("approved_venues[%s].engine_id must be a string, got %r"
                                 % (host, engine))
            engines[str(host)] = engine
        pin = value.get("fingerprint") if isinstance(value, dict) else value
        if pin in (None, ""):
            pins[str(host)] = None
        elif isinstance(pin, str) and FINGERPRINT.match(pin):
            pins[str(host)] = pin
        else:
            raise VenueError("approved_venues[%s].fingerprint must be sha256:<64 hex> or null, "
                             "got %r" % (host, pin))
    return Venues(pins, frozenset(str(h) for h in (rehearsal or ())), engines, host_keys)


def claimed_host(evidence: Evidence) -> str | None:
    host = dig(evidence.doc("run.json"), "inventory_hostname")
    return host if isinstance(host, str) and host else None


def _recomputed(venue: Any, fingerprint: str | None) -> list[Check]:
    """The fingerprint follows from the machine-id's digest and the engine ID the bundle holds
    (method VENUE_METHOD): an engine ID edited with its facts no longer matches the pin."""
    refs = ("venue.json#/fingerprint", "venue.json#/machine_id_sha256", "venue.json#/engine_id")
    machine, engine_id = dig(venue, "machine_id_sha256"), dig(venue, "engine_id")
    if dig(venue, "method") != bundle_format.VENUE_METHOD:
        return [Check("fingerprint_method", PARTIAL, REASON_OLD_METHOD,
                      expected=bundle_format.VENUE_METHOD, observed=short(dig(venue, "method")),
                      refs=("venue.json#/method",))]
    if fingerprint is None or not isinstance(machine, str) or not isinstance(engine_id, str):
        return []  # the schema's and the fingerprint check's to report
    recomputed = _facts.fingerprint_of(machine, engine_id)
    if recomputed != fingerprint:
        return [Check("fingerprint_recomputed", FAIL, "venue fingerprint does not follow from "
                      "its machine-id digest and engine ID", expected=recomputed,
                      observed=fingerprint, refs=refs)]
    return []


def check_venue(evidence: Evidence, venues: Venues, host: str | None) -> Finding:
    finding = Finding("venue")
    claimed = claimed_host(evidence)
    host = host or claimed
    fingerprint = dig(evidence.doc("venue.json"), "fingerprint")
    fingerprint = fingerprint if isinstance(fingerprint, str) else None
    pin = venues.approved.get(host) if host else None
    finding.extra.update({"host": host, "claimed_host": claimed, "fingerprint": fingerprint,
                          "pinned": pin, "approved": host in venues.approved,
                          "rehearsal": host in venues.rehearsal})
    refs = ("venue.json#/fingerprint", "run.json#/inventory_hostname")
    checks: list[Check] = []
    if claimed is not None and host != claimed:
        checks.append(Check("host", PARTIAL, "%s: run.json names %s, verified as %s"
                            % (REASON_OTHER_HOST, claimed, host), refs=refs))
    if host in venues.rehearsal:
        checks.append(Check("rehearsal", PARTIAL, REASON_REHEARSAL, expected="an approved venue",
                            observed="%s is a rehearsal venue" % host, refs=refs))
    elif host not in venues.approved:
        checks.append(Check("approved", PARTIAL, REASON_UNAPPROVED,
                            expected="a host among the approved venues",
                            observed=short(host), refs=refs))
    elif pin is None:
        checks.append(Check("pinned", PARTIAL, REASON_UNPINNED,
                            expected="a pinned fingerprint for %s" % host,
                            observed="no pin; the evidence says %s" % fingerprint, refs=refs))
    if fingerprint is None or not FINGERPRINT.match(fingerprint):
        checks.append(Check("fingerprint", PARTIAL, REASON_NO_FINGERPRINT,
                            observed=short(fingerprint), refs=refs))
    elif pin is not None and fingerprint != pin:
        checks.append(Check("fingerprint", PARTIAL, REASON_MISMATCH, expected=pin,
                            observed=fingerprint, refs=refs))
    checks += _recomputed(evidence.doc("venue.json"), fingerprint)
    pinned_engine = venues.engines.get(host) if host else None
    engine_id = dig(evidence.doc("venue.json"), "engine_id")
    if pinned_engine is not None and engine_id != pinned_engine:
        checks.append(Check("engine_id", PARTIAL, REASON_ENGINE_MISMATCH, expected=pinned_engine,
                            observed=short(engine_id), refs=("venue.json#/engine_id",)))
    if not checks:
        checks.append(Check("fingerprint", PASS, "approved venue %s, pinned fingerprint matches"
                            % host, expected=str(pin), observed=fingerprint or "", refs=refs))
    for check in checks:
        finding.add(check)
    return finding
