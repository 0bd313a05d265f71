"""The two serialisations: canonical (digests, comparisons) and pretty (files for people)."""

from __future__ import annotations

import json
import os
import re

from ansible_collections.sandbox.attest.plugins.module_utils import _engine, _json

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


def test_one_timestamp_format_everywhere() -> None:
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", _engine.utc_now())
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(
        os.path.abspath(__file__))))))
    # Every place that writes a timestamp outside Python spells the same format (the evidence
    # role takes the window's close from engine_events, which writes TIME_FORMAT).
    for rel in ("roles/preflight/tasks/venue_gate.yml",
                "plugins/plugin_utils/packet/template/attest.sh"):
        with open(os.path.join(root, rel), encoding="utf-8") as handle:
            text = handle.read()
        assert _engine.TIME_FORMAT in text, rel
