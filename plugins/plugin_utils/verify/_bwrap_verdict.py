# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The matrix rows of a run under bubblewrap, judged from its records (issue 19).

A bwrap run has no bundle yet (no engine: no inspect, events or engine snapshot; the roles do
not drive bwrap): this judges one run's records per identity, module_utils/_bwrap's facts() and
execute() as the run on the host wrote them, with the verifier's own parts: the probes against
data/expectations.yml `runtimes.bwrap`, the static checks and cross-checks of
findings/_profile_bwrap, and the rows bound by _matrix as for an engine's bundle; the output's
frame and the probe's provenance as a run's own checks. It never says READY: that is a venue's
verdict, and a bwrap run has no venue evidence yet (NOT_A_BUNDLE).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap, _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import _bwrap_evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    SHIPPED_PROBE_PATH,
    load_expectations,
    load_matrix,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    Context,
    environment,
    probe_items,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._matrix import bind_matrix
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    ROW_FAIL,
    ROW_PASS,
    STATUS_FAILED,
    STATUS_PARTIAL,
    Check,
    Finding,
    RowResult,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    short,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import (
    _cross_bwrap,
    _profile_bwrap,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
    ProbeOutput,
    _output_check,
    evaluate_probe,
    parse_output,
)

RUNTIME = _bwrap.RUNTIME


# Why no bwrap run is READY yet: what an engine's bundle carries and a bwrap run does not.
NOT_A_BUNDLE = ("a bwrap run is judged from its records, not from a sealed bundle: no venue "
                "identity or signature, no integrity manifest, no before/after host snapshot")


@dataclass
class BwrapVerdict:
    """The findings and the rows of one bwrap run (both identities)."""

    probes: Finding
    profile: Finding
    cross: Finding
    run: Finding
    rows: list[RowResult]

    def row_status(self) -> dict[int, str]:
        return {row.row: row.result for row in self.rows}

    @property
    def status(self) -> str:
        """FAILED when a row or a check failed; PARTIAL otherwise, never READY (NOT_A_BUNDLE)."""
        failed = any(row.result == ROW_FAIL for row in self.rows) or any(
            finding.outcome == FAIL for finding in (self.probes, self.profile, self.cross,
                                                    self.run))
        return STATUS_FAILED if failed else STATUS_PARTIAL

    def reasons(self) -> list[str]:
        reasons = ["row %d %s: %s" % (row.row, row.result, "; ".join(row.reasons))
                   for row in self.rows if row.result != ROW_PASS]
        reasons += [check.message for check in self.run.not_passed()]
        return [*reasons, NOT_A_BUNDLE]


def probe_output(result: Any) -> ProbeOutput:
    """The probe's stdout in the run's record, one JSON object a line; a line that is not one
    makes the whole output unreadable (as a bundle's probe.jsonl)."""
    stdout = dig(result, "stdout")
    if not isinstance(stdout, str):
        return ProbeOutput(present=False)
    try:
        lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    except ValueError:
        return ProbeOutput(present=False)
    return parse_output(lines)


def judge(records: dict[str, Any], run_id: str, seccomp_name: str, architecture: str,
          expectations: dict[str, Any] | None = None,
          matrix: dict[str, Any] | None = None,
          manifest: dict[str, Any] | None = None,
          probe_sha256: str | None = None,
          identities: tuple[str, ...] = tuple(_profile.IDENTITIES)) -> BwrapVerdict:
    """records: identity -> {"facts": _bwrap.facts(), "result": _bwrap.execute()}.
    identities: those the run was asked for, every profile identity for an attestation; one
    without a record leaves each row NOT_RUN ("not evaluated for ..."), never PASS."""
    unknown = sorted(set(records) - set(identities))
    if unknown:
        raise ValueError("records of identities the run was not asked for: %s" % unknown)
    expectations = expectations or load_expectations().document
    matrix = matrix or load_matrix().document
    manifest = manifest or _bwrap_evidence.load_manifest()
    data = dig(expectations, "runtimes", RUNTIME)
    runs, expected, outputs = {}, {}, {}
    probes = Finding("probes")
    for identity, record in records.items():
        runs[identity] = _bwrap_evidence.Run.of(dig(record, "facts"), dig(record, "result"))
        expected[identity] = _bwrap_evidence.Expected(
            identity=identity, run_id=run_id, seccomp_name=seccomp_name,
            architecture=architecture,
            masked_paths=tuple(str(p) for p in as_list(dig(data, "masked_paths"))),
            readonly_paths=tuple(str(p) for p in as_list(dig(data, "readonly_paths"))),
            filters=manifest)
        outputs[identity] = probe_output(dig(record, "result"))
        # The probe is judged against the sandbox's own name (the static evidence's
        # --hostname), never against what the probe itself reported.
        ctx = Context(container_hostname=expected[identity].name, container_id=None,
                      limits=_profile.resolve_limits(),
                      environment=environment(expectations, RUNTIME, identity), dns=[])
        for probe in PROBE_ORDER:
            probes.add(evaluate_probe(probe, outputs[identity], probe_items(
                expectations, RUNTIME, identity, "none", probe), ctx, identity))
    profile = _profile_bwrap.check_static(runs, expected)
    cross = _cross_bwrap.check_cross(runs, expected, outputs, profile)
    rows = bind_matrix(matrix, probes, profile, cross, list(identities), set())
    run = Finding("run")
    for identity, record in records.items():
        result = dig(record, "result")
        # the frame of the output (META, END, the probe's version and PID 1, its time within
        # the run's) as an engine's result.json frames it
        framed = {"started_at": dig(result, "started_at"),
                  "finished_at": dig(result, "finished_at"),
                  "timed_out": dig(result, "timed_out"), "exit_code": dig(result, "rc"),
                  "timeout_s": _profile.resolve_limits()["timeout_s"]}
        run.add(_output_check(identity, outputs[identity], framed,
                              as_dict(expectations.get("probe"))))
        run.add(_probe_provenance(identity, dig(record, "facts", "probe_sha256"),
                                  probe_sha256 or shipped_probe_sha256()))
    return BwrapVerdict(probes=probes, profile=profile, cross=cross, run=run, rows=rows)


def shipped_probe_sha256(path: str = SHIPPED_PROBE_PATH) -> str | None:
    """The sha256 of the probe this collection ships (None when it has none: never a match)."""
    try:
        with open(path, "rb") as handle:
            return hashlib.sha256(handle.read()).hexdigest()
    except OSError:
        return None


def _probe_provenance(identity: str, recorded: Any, shipped: str | None) -> Check:
    """The probe bwrap ran is the shipped one: the run's sha256 of its copy, the collection's
    of its own file."""
    ok = isinstance(recorded, str) and recorded == shipped
    return Check("probe_sha256", PASS if ok else FAIL, "%s: the probe run is %s" % (
        identity, "the shipped one" if ok else "not the shipped one (%s, shipped %s)" % (
            short(recorded), short(shipped))), identity, expected=str(shipped),
        observed=str(recorded))
