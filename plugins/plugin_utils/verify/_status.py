# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Status and gate, exactly as docs/architecture.md defines them, with every reason listed.

READY: every row PASS, integrity holds, nothing pre-existing changed, the venue approved and
its pin matching (and nothing else short of PASS). FAILED: a boundary did not hold (a row
FAIL), static and dynamic evidence disagree, integrity failed, or the evidence is malformed
(any finding that FAILs). PARTIAL: anything else. Gate B4′ is UNBLOCKED only when READY.
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    GATE_BLOCKED,
    GATE_UNBLOCKED,
    PASS,
    ROW_FAIL,
    ROW_PASS,
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
    Finding,
    RowResult,
)

# Findings whose row-bound checks are reported through their row rather than twice.
ROW_BOUND_FINDINGS = ("probes", "profile", "cross_checks")


def reasons_for(findings: list[Finding], rows: list[RowResult], bound: set[str]) -> list[str]:
    reasons: list[str] = []
    for row in rows:
        if row.result != ROW_PASS:
            reasons.append("row %d %s (%s): %s" % (row.row, row.result, row.boundary,
                                                   "; ".join(row.reasons) or "no evidence"))
    for finding in findings:
        for check in finding.not_passed():
            if finding.name in ROW_BOUND_FINDINGS and check.id in bound:
                continue
            reasons.append(check.message)
    return list(dict.fromkeys(reasons))


def decide(findings: list[Finding], rows: list[RowResult], bound: set[str]) -> tuple[
        str, str, list[str]]:
    """(status, gate, reasons)."""
    reasons = reasons_for(findings, rows, bound)
    failed = any(row.result == ROW_FAIL for row in rows) or any(
        finding.outcome == FAIL for finding in findings)
    if failed:
        return STATUS_FAILED, GATE_BLOCKED, reasons
    complete = bool(rows) and all(row.result == ROW_PASS for row in rows) and all(
        finding.outcome == PASS for finding in findings)
    if complete and not reasons:
        return STATUS_READY, GATE_UNBLOCKED, []
    if not reasons:
        # Defensive: PARTIAL must always say why.
        reasons = ["the matrix is empty" if not rows else "evidence incomplete"]
    return STATUS_PARTIAL, GATE_BLOCKED, reasons
