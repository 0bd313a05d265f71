# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The facts of the evidence bundle format that the target modules need too.

Output caps (sandbox_run), fetch bounds (run_output), the run-id format (every module that
takes a run id) and the bundle's file names and numbers (evidence_seal renders the files the
venue signs) live here because target modules can import module_utils only. The controller
imports them from here too (plugin_utils/bundle/ holds the rest of the format); the operator
packet renders them into its script and README. Typed once, here.
"""

from __future__ import annotations

import re

# What a probe's run keeps of its output: standard output and standard error, cut at these.
STDOUT_CAP = 1024 * 1024
STDERR_CAP = 64 * 1024

# The fetch of out/: the one name copied, the largest file copied, the directory entries
# looked at (a flood of planted entries cannot make the fetch unbounded).
FETCH_NAME = "ok"
FETCH_MAX_BYTES = 4096
FETCH_MAX_ENTRIES = 256

# A run id: the UTC start time in this strftime format, "-", and this many random hex digits
# (20261128T223131Z-1a2b3c4d). Every field of the time format is fixed-width digits.
RUN_ID_TIME_FORMAT = "%Y%m%dT%H%M%SZ"
RUN_ID_HEX_DIGITS = 8
_FIELD_DIGITS = {"Y": 4, "m": 2, "d": 2, "H": 2, "M": 2, "S": 2}


def run_id_time_parts() -> list[tuple[str, int | str]]:
    """RUN_ID_TIME_FORMAT as ("digits", n) runs and ("literal", char) pieces, so that a regular
    expression, a shell glob or a length can be derived from it."""
    parts: list[tuple[str, int | str]] = []
    index = 0
    while index < len(RUN_ID_TIME_FORMAT):
        char = RUN_ID_TIME_FORMAT[index]
        if char == "%":
            width = _FIELD_DIGITS[RUN_ID_TIME_FORMAT[index + 1]]
            if parts and parts[-1][0] == "digits":
                width += int(parts.pop()[1])
            parts.append(("digits", width))
            index += 2
        else:
            parts.append(("literal", char))
            index += 1
    return parts


RUN_ID_LENGTH = sum(int(value) if kind == "digits" else 1
                    for kind, value in run_id_time_parts()) + 1 + RUN_ID_HEX_DIGITS
RUN_ID_PATTERN = re.compile("^%s-[0-9a-f]{%d}$" % ("".join(
    "[0-9]{%d}" % value if kind == "digits" else re.escape(str(value))
    for kind, value in run_id_time_parts()), RUN_ID_HEX_DIGITS))


# The "format" of run.json, venue.json and each identity's result.json and fetch.json.
BUNDLE_FORMAT = 1
# 2: the venue's signed statement (signature/) is in the bundle and the manifest (issue 17).
# A format 1 manifest is of a bundle made before the venue signed: never READY, "unsigned".
MANIFEST_FORMAT = 2

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
# Podman's inspect document leaves out what the OCI runtime was given (the seccomp filter,
# masked and read-only paths, capabilities, rlimits, namespaces): its OCI spec
# (OCIConfigPath, the container's userdata/config.json) is kept before removal, as read.
OCI_SPEC = "oci-spec.json"
OCI_SPEC_MAX_BYTES = 1024 * 1024
# Every identity file the format knows: the schema says which runtime's bundle must have one
# (Podman's) and which must not (Docker's).
KNOWN_IDENTITY_FILES = (*IDENTITY_FILES, OCI_SPEC)


def identity_path(identity: str, name: str) -> str:
    """The bundle path of one identity's file."""
    return "%s/%s/%s" % (IDENTITIES_DIR, identity, name)
