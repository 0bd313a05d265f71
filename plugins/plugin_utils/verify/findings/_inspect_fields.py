# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "inspect_fields": the run containers' inspect documents, read as a closed world.

Every field of each document is compared with its expected value (verify/_inspect_expected.py;
Podman's _podman_expected.py) or is named in data/inspect-fields.yml as not bearing on
isolation; a field neither knows is a departure, as is an expected field that is missing. A
Podman container's OCI spec (oci-spec.json) is read the same way: a prestart hook, a device or
a sysctl nobody modelled fails. The profile finding's static checks stay: they bind matrix
rows; this finding makes sure nothing beside them goes unread.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    OCI_SPEC,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect_expected import (
    ABSENT,
    Field,
    Picture,
    expected_picture,
    pointer,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._podman_expected import (
    inspect_picture,
    spec_picture,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    inspect_doc,
    short,
)

# Departures named in a check's message; the rest are counted (observed holds them all).
LISTED = 6
_MISSING = object()


def _keys(path: str) -> list[str]:
    return [key.replace("~1", "/").replace("~0", "~") for key in path.split("/")[1:]]


def _lookup(document: Any, path: str) -> Any:
    """The value at a JSON pointer, or _MISSING."""
    value = document
    for key in _keys(path):
        if not isinstance(value, dict) or key not in value:
            return _MISSING
        value = value[key]
    return value


def _ancestors(paths: list[str]) -> set[str]:
    found = {""}
    for path in paths:
        keys = path.split("/")[1:]
        found.update("".join("/" + key for key in keys[:end]) for end in range(1, len(keys)))
    return found


def _unknown(value: Any, path: str, known: set[str], ancestors: set[str]) -> list[str]:
    """Paths of the document that neither the picture nor the not-isolation list names."""
    if path in known:
        return []
    if path in ancestors and isinstance(value, dict):
        return [found for key, item in value.items()
                for found in _unknown(item, path + pointer(str(key)), known, ancestors)]
    return [path]


def _departure(path: str, observed: Any, want: Field) -> str:
    if observed is _MISSING:
        return "%s missing (expected %s: %s)" % (path, short(want.expected, 60), want.source)
    if want.expected is ABSENT:
        return "%s=%s present (%s)" % (path, short(observed, 60), want.source)
    return "%s %s, expected %s (%s)" % (path, short(observed, 80), short(want.expected, 80),
                                        want.source)


def _compare(container: dict[str, Any], picture: Picture) -> tuple[list[str], list[str]]:
    """(departures that fail, departures only an unmodelled daemon option could explain)."""
    failed = list(picture.problems)
    daemon: list[str] = []
    for path, want in picture.fields.items():
        observed = _lookup(container, path)
        if want.expected is ABSENT:
            holds = observed is _MISSING
        else:
            holds = observed is not _MISSING and want.holds(observed)
        if not holds:
            (daemon if want.daemon_default else failed).append(_departure(path, observed, want))
    if picture.engine_problem is None:
        # Which fields exist at all is known only for a modelled engine.
        known = set(picture.fields) | set(picture.not_isolation)
        for path in _unknown(container, "", known, _ancestors(sorted(known))):
            failed.append("%s=%s: a field data/inspect-fields.yml does not know" % (
                path or "/", short(_lookup(container, path), 60)))
    return failed, daemon


def _listed(departures: list[str]) -> str:
    text = "; ".join(departures[:LISTED])
    if len(departures) > LISTED:
        text += "; and %d more" % (len(departures) - LISTED)
    return text


def _spec_check(evidence: Evidence, identity: str, data: dict[str, Any]) -> Check:
    where = identity_path(identity, OCI_SPEC)
    spec = evidence.identity_doc(identity, OCI_SPEC)
    if not isinstance(spec, dict):
        return Check("spec_closed_world", MISSING, "no OCI spec for %s" % identity, identity,
                     refs=(where,))
    picture = spec_picture(evidence, identity, data)
    failed, dummy = _compare(spec, picture)
    if failed:
        return Check("spec_closed_world", FAIL, "%s's OCI spec departs from the expected picture "
                     "in %d field(s): %s" % (identity, len(failed), _listed(failed)), identity,
                     expected="every field as derived or named in data/inspect-fields.yml",
                     observed="; ".join(failed), refs=(where,))
    return Check("spec_closed_world", PASS, "%s's OCI spec: %d fields as expected, %d named as "
                 "not bearing on isolation" % (identity, len(picture.fields),
                                               len(picture.not_isolation)), identity,
                 refs=(where,))


def check_inspect_fields(evidence: Evidence, identities: list[str],
                         data: dict[str, Any]) -> Finding:
    finding = Finding("inspect_fields")
    engine_problems: list[str] = []
    run_roots: dict[str, str] = {}
    for identity in identities:
        where = identity_path(identity, "inspect.json")
        container = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
        if container is None:
            finding.add(Check("inspect_closed_world", MISSING, "no inspect document for %s"
                              % identity, identity, refs=(where,)))
            continue
        podman = evidence.runtime() == "podman"
        picture = (inspect_picture if podman else expected_picture)(evidence, identity, data)
        if picture.run_root is not None:
            run_roots[identity] = picture.run_root
        if picture.engine_problem and picture.engine_problem not in engine_problems:
            engine_problems.append(picture.engine_problem)
        failed, daemon = _compare(container, picture)
        if failed:
            finding.add(Check(
                "inspect_closed_world", FAIL, "%s's inspect document departs from the expected "
                "picture in %d field(s): %s" % (identity, len(failed), _listed(failed)),
                identity, expected="every field as derived or named in data/inspect-fields.yml",
                observed="; ".join(failed), refs=(where,)))
        else:
            finding.add(Check(
                "inspect_closed_world", PASS, "%s's inspect document: %d fields as expected, "
                "%d named as not bearing on isolation" % (
                    identity, len(picture.fields), len(picture.not_isolation)),
                identity, refs=(where,)))
        if podman:
            finding.add(_spec_check(evidence, identity, data))
        if daemon:
            finding.add(Check(
                "inspect_daemon_defaults", PARTIAL, "engine not modelled: %s's inspect document "
                "holds values a daemon option sets, which the engine facts do not record (or "
                "an edit): %s" % (identity, _listed(daemon)), identity,
                expected="the engine's defaults", observed="; ".join(daemon), refs=(where,)))
    if len(set(run_roots.values())) > 1:
        # Each identity's binds follow its own argv: one run has one run root.
        finding.add(Check("run_root_shared", FAIL, "the identities' binds come from different "
                          "run roots: %s" % ", ".join("%s %s" % item for item in
                                                      sorted(run_roots.items())),
                          refs=tuple(identity_path(i, "argv.json") for i in sorted(run_roots))))
    for problem in engine_problems:
        finding.add(Check("engine_modelled", PARTIAL, problem,
                          refs=("engine/facts.json", "run.json")))
    return finding
