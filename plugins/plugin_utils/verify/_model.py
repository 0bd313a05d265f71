# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verifier's vocabulary: outcomes, checks, findings, matrix rows and the verdict.

Plain data only, so every check module stays a pure function from evidence to a Finding.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

STATUS_READY = "SANDBOX_ATTESTED_READY"
STATUS_FAILED = "SANDBOX_ATTESTATION_FAILED"
STATUS_PARTIAL = "SANDBOX_ATTESTATION_PARTIAL"

GATE_NAME = "B4′"
GATE_UNBLOCKED = "UNBLOCKED"
GATE_BLOCKED = "BLOCKED"

# Outcome of one check. MISSING is its own value because missing evidence is never PASS, yet
# it is not a boundary that failed either: it makes the run PARTIAL, not FAILED.
PASS = "pass"
FAIL = "fail"
PARTIAL = "partial"
MISSING = "missing"
INFO = "info"

ROW_PASS = "PASS"
ROW_FAIL = "FAIL"
ROW_NOT_RUN = "NOT_RUN"


@dataclass(frozen=True)
class Check:
    """One evaluated statement about the evidence."""

    id: str
    outcome: str
    message: str
    identity: str | None = None
    expected: str = ""
    observed: str = ""
    refs: tuple[str, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "identity": self.identity,
            "outcome": self.outcome,
            "message": self.message,
            "expected": self.expected,
            "observed": self.observed,
            "refs": list(self.refs),
        }


@dataclass
class Finding:
    """A named group of checks (schema, integrity, ...); its outcome is the worst check's."""

    name: str
    checks: list[Check] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)

    def add(self, check: Check) -> None:
        self.checks.append(check)

    @property
    def outcome(self) -> str:
        outcomes = {check.outcome for check in self.checks}
        if FAIL in outcomes:
            return FAIL
        if PARTIAL in outcomes:
            return PARTIAL
        if MISSING in outcomes:
            return MISSING
        return PASS

    def not_passed(self) -> list[Check]:
        return [check for check in self.checks if check.outcome in (FAIL, PARTIAL, MISSING)]

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "outcome": self.outcome,
            "checks": [check.as_dict() for check in self.checks],
            "extra": self.extra,
        }


@dataclass(frozen=True)
class RowResult:
    """One matrix row bound to the evidence that decided it."""

    row: int
    boundary: str
    meaning_source: str
    meaning: str
    result: str
    refs: tuple[str, ...]
    reasons: tuple[str, ...]
    probes: tuple[str, ...]
    static_checks: tuple[str, ...]
    cross_checks: tuple[str, ...]
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "row": self.row,
            "boundary": self.boundary,
            "meaning_source": self.meaning_source,
            "meaning": self.meaning,
            "result": self.result,
            "refs": list(self.refs),
            "reasons": list(self.reasons),
            "probes": list(self.probes),
            "static_checks": list(self.static_checks),
            "cross_checks": list(self.cross_checks),
            "fix": self.fix,
        }


@dataclass
class Verdict:
    """Everything the outputs are rendered from."""

    status: str
    gate: str
    reasons: list[str]
    rows: list[RowResult]
    findings: list[Finding]
    context: dict[str, Any]
    subjects: list[dict[str, Any]]
    verified_at: str

    def finding(self, name: str) -> Finding:
        for finding in self.findings:
            if finding.name == name:
                return finding
        raise KeyError(name)

    def failed_finding_names(self) -> list[str]:
        return [finding.name for finding in self.findings if finding.outcome != PASS]
