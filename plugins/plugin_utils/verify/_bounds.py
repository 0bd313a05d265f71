# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""How much of a bundle the verifier reads: entries, bytes per file, bytes in all.

Each bound is checked from lstat's metadata before a byte is read, so a bundle that exceeds one
costs the verifier a stat call, not its memory or its time (a sparse file of 16 TiB occupies no
disk and would take hours to hash). A file over its bound is never opened: integrity fails it
("larger than the verifier reads"), and nothing in it is judged.

Sizing (docs/evidence-bundle.md, "What the verifier reads"), from a real bundle of a lived-in
host of 35 objects (churn-bundle-30: 14 containers, 6 networks, 4 volumes, 11 images): each
snapshot 14.7 KB, about 420 bytes an object (a container 585-612, a network 367-661 with its
members' IDs, a volume 184, an image 243); the event log 28 KB for 84 events (340 bytes each);
the two inspect documents 12.7 KB each; every other file under 5 KB; 25 entries in all. A host
of 1,000 objects, all of them containers (the largest kind), gives snapshots of about 0.6 MB;
the engine replays at most 256 events (87 KB). The bounds leave more than three times that
room, and keep the worst a hostile file can cost in memory (parsed JSON of `[{},{},...]` holds
about 22 bytes for each byte read) under the verifier's budget of 200 MB.
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    FETCH_MAX_BYTES,
    STDERR_CAP,
    STDOUT_CAP,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    ENGINE_EVENTS,
    FETCHED,
    IDENTITIES_DIR,
    PROBE_OUTPUT,
    PROBE_STDERR,
    SNAPSHOT_AFTER,
    SNAPSHOT_BEFORE,
)

MIB = 1024 * 1024

# Directory entries walked (files, directories, links): a bundle has 25, whatever the host's
# size (the fetch copies one file per identity).
MAX_ENTRIES = 256
MAX_DEPTH = 12

# A snapshot of 1,000 containers is about 0.6 MB; 2 MiB also holds 3,000.
SNAPSHOT_MAX_BYTES = 2 * MIB
# 256 events (the engine's replay) are 87 KB; 2 MiB holds about 6,000.
EVENTS_MAX_BYTES = 2 * MIB
# Every other file of the format is a few KB (an inspect document 13 KB).
DOCUMENT_MAX_BYTES = 512 * 1024
# A file the format does not name is a finding; it is hashed (for the report) up to this many
# bytes, streamed, and never kept.
UNKNOWN_MAX_BYTES = 1 * MIB
# All regular files together, what is read and what is only hashed alike.
TOTAL_MAX_BYTES = 8 * MIB

# Parsed JSON values (objects, arrays, scalars, keys): what the checks' work grows with, and what
# memory does (`{}` is 3 bytes read and 64 held). In the 35-object bundle a container holds 23, a
# network 11-17 (one more per member), a volume 9, an image 9-10, an event 17; the whole bundle
# 5,320. A host of 1,000 containers: snapshots of about 24,000 each, 256 events 4,350, the rest
# 2,800: about 55,000 in all. A file may hold 80,000 (a snapshot of 3,400 containers, 4,700
# events) and the bundle 160,000, about three times that host; jsonschema's validation, the
# slowest step, takes about 18 us a value (bench/hostile measures the whole at the bounds).
FILE_MAX_VALUES = 80000
TOTAL_MAX_VALUES = 160000

# Per file name of the format: what the run itself keeps of its output (module_utils/
# _bundle_format), or what the sizing above allows.
_BY_PATH = {SNAPSHOT_BEFORE: SNAPSHOT_MAX_BYTES, SNAPSHOT_AFTER: SNAPSHOT_MAX_BYTES,
            ENGINE_EVENTS: EVENTS_MAX_BYTES}
_BY_IDENTITY_FILE = {PROBE_OUTPUT: STDOUT_CAP, PROBE_STDERR: STDERR_CAP,
                     FETCHED: FETCH_MAX_BYTES}


def max_bytes(path: str, known: bool) -> int:
    """The most bytes the verifier reads of the file at this bundle path."""
    if not known:
        return UNKNOWN_MAX_BYTES
    if path in _BY_PATH:
        return _BY_PATH[path]
    parts = path.split("/", 2)
    if len(parts) == 3 and parts[0] == IDENTITIES_DIR and parts[2] in _BY_IDENTITY_FILE:
        return _BY_IDENTITY_FILE[parts[2]]
    return DOCUMENT_MAX_BYTES
