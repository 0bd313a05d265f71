# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Binding the matrix rows (data/matrix.yml) to the checks that decide them.

A row is PASS only when each of its probes passed for every identity, each of its static
checks held on every identity's inspect document and each of its cross-checks held; FAIL when
any of them failed; NOT_RUN otherwise. Evidence from a file that failed integrity cannot make
a row PASS: such a row is NOT_RUN at best. Missing evidence is never PASS.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    ROW_FAIL,
    ROW_NOT_RUN,
    ROW_PASS,
    Check,
    Finding,
    RowResult,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list


def _select(finding: Finding, ids: list[str]) -> dict[str, list[Check]]:
    wanted = set(ids)
    selected: dict[str, list[Check]] = {check_id: [] for check_id in ids}
    for check in finding.checks:
        if check.id in wanted:
            selected[check.id].append(check)
    return selected


def _file_of(reference: str) -> str:
    return reference.split("#", 1)[0]


def bind_row(row: dict[str, Any], probes: Finding, profile: Finding, cross: Finding,
             identities: list[str], untrusted: set[str]) -> RowResult:
    probe_ids = [str(p) for p in as_list(row.get("probes"))]
    static_ids = [str(s) for s in as_list(row.get("static_checks"))]
    cross_ids = [str(x) for x in as_list(row.get("cross_checks"))]
    decisive: list[Check] = []
    reasons: list[str] = []
    for finding, ids in ((probes, probe_ids), (profile, static_ids), (cross, cross_ids)):
        for check_id, checks in _select(finding, ids).items():
            seen = {check.identity for check in checks}
            for identity in identities:
                if identity not in seen:
                    reasons.append("%s: not evaluated for %s" % (check_id, identity))
            decisive.extend(checks)
    failed = [check for check in decisive if check.outcome == FAIL]
    unproven = [check for check in decisive if check.outcome != PASS and check.outcome != FAIL]
    tainted = sorted({_file_of(r) for check in decisive for r in check.refs
                      if _file_of(r) in untrusted})
    if failed:
        result = ROW_FAIL
        reasons = [check.message for check in failed] + reasons
    elif unproven or reasons or tainted or not decisive:
        result = ROW_NOT_RUN
        reasons = [check.message for check in unproven] + reasons
        if tainted:
            reasons.append("evidence failed integrity: %s" % ", ".join(tainted))
        if not decisive:
            reasons.append("no evidence is bound to this row")
    else:
        result = ROW_PASS
    refs = []
    for check in decisive:
        for reference in check.refs:
            if reference not in refs:
                refs.append(reference)
    return RowResult(
        row=int(row["row"]),
        boundary=str(row.get("boundary", "")),
        meaning_source=str(row.get("meaning_source", "project")),
        meaning=str(row.get("meaning", "")).strip(),
        result=result,
        refs=tuple(refs),
        reasons=tuple(dict.fromkeys(reasons)),
        probes=tuple(probe_ids),
        static_checks=tuple(static_ids),
        cross_checks=tuple(cross_ids),
        fix=str(row.get("fix", "")).strip(),
    )


def bind_matrix(matrix: dict[str, Any], probes: Finding, profile: Finding, cross: Finding,
                identities: list[str], untrusted: set[str]) -> list[RowResult]:
    rows = [row for row in as_list(matrix.get("rows")) if isinstance(row, dict)]
    return [bind_row(row, probes, profile, cross, identities, untrusted)
            for row in sorted(rows, key=lambda r: int(r["row"]))]


def bound_ids(matrix: dict[str, Any]) -> set[str]:
    """Every check id some row binds (its failures are reported through the row)."""
    ids: set[str] = set()
    for row in as_list(matrix.get("rows")):
        if isinstance(row, dict):
            for key in ("probes", "static_checks", "cross_checks"):
                ids.update(str(item) for item in as_list(row.get(key)))
    return ids
