# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The evidence bundle format (docs/evidence-bundle.md): its files, names and numbers, once.

The automated path's layout and writer, the operator packet's script and the verifier's reader
all take the format from here. The file names and numbers are defined in
module_utils/_bundle_format.py (and the signature's in module_utils/_venue_signature.py): the
venue renders the bundle files it signs (M(sandbox.attest.evidence_seal)), and a target module
can import module_utils only. They are imported here so that controller code reads the whole
format through this one module; what only the target needs (output caps, fetch bounds, the
run-id format) is imported from module_utils directly.
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    ARGV,
    BUNDLE_FORMAT,
    ENGINE_EVENTS,
    ENGINE_FACTS,
    FETCH,
    FETCH_NAME,
    FETCHED,
    IDENTITIES_DIR,
    IDENTITY_FILES,
    INSPECT,
    KNOWN_IDENTITY_FILES,
    MANIFEST,
    MANIFEST_FORMAT,
    OCI_SPEC,
    OUT_DIR,
    PROBE_OUTPUT,
    PROBE_STDERR,
    PROFILE,
    RESULT,
    RUN,
    SECCOMP,
    SNAPSHOT_AFTER,
    SNAPSHOT_BEFORE,
    TOP_FILES,
    VENUE,
    VENUE_METHOD,
    VERIFICATION_DIR,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.module_utils._venue_signature import (
    SIGNATURE_DIR,
    STATEMENT,
    STATEMENT_SIG,
)

SIGNATURE_FILES = (STATEMENT, STATEMENT_SIG)

# Re-exported: the controller reads the whole format through this module.
__all__ = [
    "ARGV",
    "BUNDLE_FORMAT",
    "ENGINE_EVENTS",
    "ENGINE_FACTS",
    "FETCH",
    "FETCHED",
    "FETCH_NAME",
    "IDENTITIES_DIR",
    "IDENTITY_FILES",
    "INSPECT",
    "KNOWN_IDENTITY_FILES",
    "MANIFEST",
    "MANIFEST_FORMAT",
    "OCI_SPEC",
    "OUT_DIR",
    "PROBE_OUTPUT",
    "PROBE_STDERR",
    "PROFILE",
    "RESULT",
    "RUN",
    "SECCOMP",
    "SIGNATURE_DIR",
    "SIGNATURE_FILES",
    "SNAPSHOT_AFTER",
    "SNAPSHOT_BEFORE",
    "STATEMENT",
    "STATEMENT_SIG",
    "TOP_FILES",
    "VENUE",
    "VENUE_METHOD",
    "VERIFICATION_DIR",
    "file_kind",
    "identity_path",
    "known_paths",
]


def known_paths(identities: list[str]) -> set[str]:
    """Every file path the format allows, for the given identity directories."""
    paths = {MANIFEST, *TOP_FILES, *SIGNATURE_FILES}
    for identity in identities:
        paths.update(identity_path(identity, name) for name in KNOWN_IDENTITY_FILES)
    return paths


def file_kind(path: str) -> str:
    """How a file of the format is read: "json", "jsonl" (one JSON document a line) or
    "bytes" (probe standard error, the fetched file)."""
    if path.endswith(".jsonl"):
        return "jsonl"
    if path.endswith(".json"):
        return "json"
    return "bytes"
