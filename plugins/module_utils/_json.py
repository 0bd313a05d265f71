# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The collection's two JSON serialisations, each defined once.

`canonical`: sorted keys, no whitespace, ASCII only — what digests are taken over and what is
compared semantically (seccomp profiles, image configs, statements). `pretty`: sorted keys, two-
space indent, UTF-8, a final LF — what files meant for people are written as (bundle files,
verifier outputs). Both are deterministic, so a document has one set of bytes in either form.
"""

from __future__ import annotations

import json


def canonical_text(document: object) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def canonical(document: object) -> bytes:
    return canonical_text(document).encode("ascii")


def pretty(document: object) -> bytes:
    return (json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode(
        "utf-8")
