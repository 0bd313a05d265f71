# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "schema": the bundle against data/schemas/evidence-bundle-v1.schema.json.

The schema describes the bundle as one document whose properties are its files; this module
composes that document from the parsed files and reports every violation with the file it
came from. A file that does not parse, or that the format does not know, is a violation too.
"""

from __future__ import annotations

import itertools
from typing import Any

try:
    import jsonschema
except ImportError:  # a controller dependency (requirements.txt); reported as misuse, below
    jsonschema = None

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import DataError
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    KIND_DIR,
    Evidence,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._schema_predicate import (
    compile_predicate,
)

MAX_REPORTED = 50
# Violations collected before sorting: a hostile file of a million wrong items must not cost a
# million error objects (the verifier's work stays bounded); the report says when it stopped.
MAX_COLLECTED = 1000

# Composed-document property (data/schemas) -> bundle file.
TOP_LEVEL = {
    "manifest": bundle.MANIFEST,
    "statement": bundle.STATEMENT,
    "run": bundle.RUN,
    "venue": bundle.VENUE,
    "engine_facts": bundle.ENGINE_FACTS,
    "engine_events": bundle.ENGINE_EVENTS,
    "profile": bundle.PROFILE,
    "seccomp": bundle.SECCOMP,
}
SNAPSHOTS = {"before": bundle.SNAPSHOT_BEFORE, "after": bundle.SNAPSHOT_AFTER}
PER_IDENTITY = {
    "argv": bundle.ARGV,
    "result": bundle.RESULT,
    "probe": bundle.PROBE_OUTPUT,
    "stderr": bundle.PROBE_STDERR,
    "inspect": bundle.INSPECT,
    "oci_spec": bundle.OCI_SPEC,
    "fetch": bundle.FETCH,
    "out_ok": bundle.FETCHED,
}


def compose(evidence: Evidence) -> dict[str, Any]:
    """The bundle as the one document the schema describes (absent files are absent keys)."""
    document: dict[str, Any] = {}
    for key, path in TOP_LEVEL.items():
        if path in evidence.docs:
            document[key] = evidence.docs[path]
    snapshots = {key: evidence.docs[path] for key, path in SNAPSHOTS.items()
                 if path in evidence.docs}
    if snapshots:
        document["snapshots"] = snapshots
    identities: dict[str, Any] = {}
    for identity in evidence.identities():
        item: dict[str, Any] = {}
        for key, name in PER_IDENTITY.items():
            path = bundle.identity_path(identity, name)
            if path not in evidence.docs:
                continue
            value = evidence.docs[path]
            if isinstance(value, bytes):
                # Free text: typed only, never interpreted.
                value = value.decode("utf-8", "replace")
            item[key] = value
        identities[identity] = item
    document["identities"] = identities
    return document


def file_of(path: list[Any]) -> str:
    """The bundle file a composed-document path points into."""
    if not path:
        return "(bundle)"
    head = path[0]
    if head in TOP_LEVEL:
        return TOP_LEVEL[head]
    if head == "snapshots" and len(path) > 1 and path[1] in SNAPSHOTS:
        return SNAPSHOTS[path[1]]
    if head == "identities" and len(path) > 1:
        if len(path) > 2 and path[2] in PER_IDENTITY:
            return bundle.identity_path(path[1], PER_IDENTITY[path[2]])
        return "identities/%s/" % path[1]
    return "(bundle)"


def _pointer(path: list[Any]) -> str:
    return "/" + "/".join(str(step) for step in path) if path else ""


_VALIDATORS: dict[str, Any] = {}
_PREDICATES: dict[str, Any] = {}


def _validator(schema: dict[str, Any], key: str) -> Any:
    if jsonschema is None:
        # Without the validator no schema check can run, and a check that did not run must
        # never read as passed: this is the controller's set-up, not the evidence's fault.
        raise DataError("the Python library jsonschema is missing on the controller: "
                        "pip install -r requirements.txt")
    if key not in _VALIDATORS:
        _VALIDATORS[key] = jsonschema.Draft202012Validator(schema)
    return _VALIDATORS[key]


def _certainly_valid(schema: dict[str, Any], key: str, document: dict[str, Any]) -> bool:
    """The compiled predicate's yes (_schema_predicate): a no, or no predicate, leaves the
    answer and its errors to jsonschema."""
    if key not in _PREDICATES:
        _PREDICATES[key] = compile_predicate(schema)
    predicate = _PREDICATES[key]
    try:
        return predicate is not None and predicate(document)
    except RecursionError:
        return False


def check_schema(evidence: Evidence, schema: dict[str, Any], schema_key: str = "") -> Finding:
    finding = Finding("schema")
    for path, error in sorted(evidence.errors.items()):
        finding.add(Check("parse", FAIL, "schema: %s: %s" % (path, error), refs=(path,)))
    identities = evidence.identities()
    allowed = bundle.known_paths(identities)
    for path, entry in sorted(evidence.bundle.entries.items()):
        if entry.kind == KIND_DIR or path == bundle.VERIFICATION_DIR:
            continue
        if path not in allowed:
            finding.add(Check("unknown_file", FAIL,
                              "schema: %s: not a file of the bundle format" % path, refs=(path,)))
    document = compose(evidence)
    key = schema_key or str(id(schema))
    validator = _validator(schema, key)
    collected = [] if _certainly_valid(schema, key, document) else list(
        itertools.islice(validator.iter_errors(document), MAX_COLLECTED + 1))
    stopped = len(collected) > MAX_COLLECTED
    errors = sorted(collected[:MAX_COLLECTED], key=lambda e: [str(p) for p in e.path])
    for error in errors[:MAX_REPORTED]:
        location = list(error.absolute_path)
        where = file_of(location)
        inner = location[3:] if location[:1] == ["identities"] else location[2:] if location[
            :1] == ["snapshots"] else location[1:]
        message = error.message if len(error.message) <= 200 else error.message[:199] + "…"
        finding.add(Check("schema", FAIL, "schema: %s%s: %s" % (where, _pointer(inner), message),
                          refs=(where + ("#" + _pointer(inner) if inner else ""),)))
    if len(errors) > MAX_REPORTED:
        finding.add(Check("schema", FAIL, "schema: %s%d further violations not listed"
                          % ("at least " if stopped else "", len(errors) - MAX_REPORTED)))
    if not finding.checks:
        finding.add(Check("schema", PASS, "the bundle conforms to evidence-bundle-v1"))
    return finding
