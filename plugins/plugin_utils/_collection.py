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


def collection_version() -> str:
    """MANIFEST.json of an installed collection, else galaxy.yml of a clone."""
    manifest = os.path.join(COLLECTION_ROOT, "MANIFEST.json")
    if os.path.isfile(manifest):
        with open(manifest, encoding="utf-8") as handle:
            return str(json.load(handle)["collection_info"]["version"])
    with open(os.path.join(COLLECTION_ROOT, "galaxy.yml"), encoding="utf-8") as handle:
        match = re.search(r"^version:\s*['\"]?([^'\"\s]+)", handle.read(), re.MULTILINE)
    if not match:
        raise ValueError("galaxy.yml has no version")
    return match.group(1)
