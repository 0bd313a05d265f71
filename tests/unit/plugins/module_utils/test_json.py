"""The two serialisations: canonical (digests, comparisons) and pretty (files for people)."""

from __future__ import annotations

import json

from ansible_collections.sandbox.attest.plugins.module_utils import _json

DOCUMENT = {"b": [1, {"z": None, "a": "é<>&"}], "a": True}


def test_canonical_is_sorted_compact_ascii_and_round_trips() -> None:
    data = _json.canonical(DOCUMENT)
    assert data == b'{"a":true,"b":[1,{"a":"\\u00e9<>&","z":null}]}'
    assert data.decode("ascii") == _json.canonical_text(DOCUMENT)
    assert json.loads(data) == DOCUMENT


def test_pretty_is_sorted_indented_utf8_with_a_final_lf() -> None:
    data = _json.pretty(DOCUMENT)
    assert data.endswith(b"}\n") and b'\n  "a": true,' in data
    assert "é".encode() in data
    assert json.loads(data) == DOCUMENT
    assert _json.pretty(json.loads(data)) == data
