# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where the collection's own files are, and which version it is, installed or from a clone."""

from __future__ import annotations

import json
import os
import re

COLLECTION_ROOT = os.path.normpath(os.path.join(os.path.dirname(__file__), "..", ".."))
DATA_DIR = os.path.join(COLLECTION_ROOT, "data")
PROBE_PATH = os.path.join(COLLECTION_ROOT, "files", "sandbox-probe")


def installed() -> bool:
    """True for a collection installed from a tarball (it has MANIFEST.json), False in a clone."""
    return os.path.isfile(os.path.join(COLLECTION_ROOT, "MANIFEST.json"))


def missing_probe(probe_path: str, reason: str) -> str:
    """Why a probe cannot be read, and what to do, for whoever holds this copy of the collection."""
    if os.path.realpath(probe_path) != os.path.realpath(PROBE_PATH):
        return "the probe %s cannot be read (%s): point probe_path at a readable binary, or " \
            "leave it empty for the probe shipped in the collection" % (probe_path, reason)
    if installed():
        return "this installed sandbox.attest has no probe (%s: %s): it was built without one. " \
            "Install a tarball made by `make build` in the collection's source, which compiles " \
            "the probe and refuses to build without it" % (probe_path, reason)
    return "the probe %s is not built (%s): run `make setup` in this clone" % (probe_path, reason)


def collection_version() -> str:
    """MANIFEST.json of an installed collection, else galaxy.yml of a clone."""
    if installed():
        with open(os.path.join(COLLECTION_ROOT, "MANIFEST.json"), encoding="utf-8") as handle:
            return str(json.load(handle)["collection_info"]["version"])
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", handle.read(), re.MULTILINE)
    if not match:
        raise ValueError("galaxy.yml has no version")
    return match.group(1)
