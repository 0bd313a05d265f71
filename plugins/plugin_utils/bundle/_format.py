# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence bundle format (docs/evidence-bundle.md): its files, names and numbers, once.

The automated path's layout and writer, the operator packet's script and the verifier's reader
all take the format from here. What target modules need as well (output caps, fetch bounds, the
run-id format) is in module_utils/_bundle_format.py, imported from there by everyone (one name,
one place to import it from; a re-export here would be a second).
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import FETCH_NAME

# The "format" of run.json, venue.json and each identity's result.json and fetch.json.
BUNDLE_FORMAT = 1
MANIFEST_FORMAT = 1

MANIFEST = "manifest.json"
# Written by the verifier inside the bundle; not part of the evidence.
VERIFICATION_DIR = "verification"

# venue.json's "method": how its fingerprint is computed.
VENUE_METHOD = "sha256(sha256(machine-id) LF engine-id LF)"

RUN = "run.json"
VENUE = "venue.json"
ENGINE_FACTS = "engine/facts.json"
ENGINE_EVENTS = "engine/events.jsonl"
PROFILE = "profile/profile.json"
SECCOMP = "profile/seccomp.json"
SNAPSHOT_BEFORE = "snapshots/before.json"
SNAPSHOT_AFTER = "snapshots/after.json"
TOP_FILES = (RUN, VENUE, ENGINE_FACTS, ENGINE_EVENTS, PROFILE, SECCOMP, SNAPSHOT_BEFORE,
             SNAPSHOT_AFTER)

# Per identity, relative to identities/<identity>/.
IDENTITIES_DIR = "identities"
ARGV = "argv.json"
RESULT = "result.json"
PROBE_OUTPUT = "probe.jsonl"
PROBE_STDERR = "stderr.txt"
INSPECT = "inspect.json"
FETCH = "fetch.json"
OUT_DIR = "out"
FETCHED = OUT_DIR + "/" + FETCH_NAME
IDENTITY_FILES = (ARGV, RESULT, PROBE_OUTPUT, PROBE_STDERR, INSPECT, FETCH, FETCHED)


def identity_path(identity: str, name: str) -> str:
    """The bundle path of one identity's file."""
    return "%s/%s/%s" % (IDENTITIES_DIR, identity, name)


def known_paths(identities: list[str]) -> set[str]:
    """Every file path the format allows, for the given identity directories."""
    paths = {MANIFEST, *TOP_FILES}
    for identity in identities:
        paths.update(identity_path(identity, name) for name in IDENTITY_FILES)
    return paths


def file_kind(path: str) -> str:
    """How a file of the format is read: "json", "jsonl" (one JSON document a line) or
    "bytes" (probe standard error, the fetched file)."""
    if path.endswith(".jsonl"):
        return "jsonl"
    if path.endswith(".json"):
        return "json"
    return "bytes"
