# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Earlier probes this verifier refuses to judge (data/expectations.yml, probe.refused).

A bundle made with an earlier probe holds that probe's observations, which this verifier's
expectations do not describe (probe 1.0.0's PR-FS-ESC-2 only repeated PR-FS-ESC-1). It is
refused, never READY and never FAILED for that alone: its probe lines are not judged, and the
reason names the probe version and digest it was made with (docs/path-escape-facts.md).
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    short,
)


def refused_entries(expectations: dict[str, Any]) -> list[dict[str, Any]]:
    return [as_dict(entry) for entry in as_list(as_dict(expectations.get("probe")).get(
        "refused"))]


def refused_by(expectations: dict[str, Any], key: str, value: Any) -> dict[str, Any] | None:
    """The refused probe whose `key` (version, sha256 or image_id) is `value`, or None."""
    for entry in refused_entries(expectations):
        if isinstance(value, str) and entry.get(key) == value:
            return entry
    return None


def refusal(entry: dict[str, Any], expectations: dict[str, Any]) -> str:
    shipped = as_dict(expectations.get("probe")).get("version")
    return ("refused: made with sandbox-probe %s (sha256 %s), which this verifier does not "
            "judge: %s; it judges sandbox-probe %s only: re-run with this collection"
            % (short(entry.get("version"), 20), short(entry.get("sha256"), 16),
               short(entry.get("reason"), 200), short(shipped, 20)))
