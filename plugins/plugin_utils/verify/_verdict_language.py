# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The seed's verdict language: its failure classification (macro section 5) and exactly one
minimal safe next step, from the verdict's findings and rows. The one table; docs/verdict-
language.md shows it (tests/unit keeps the two equal).

The seed's own verdict reads "OWNER/OPERATOR REQUIRED + INSUFFICIENT": classes joined by " + ",
in the seed's order. The next step is the step of the first rule (in table order) that applies:
the table is ordered so that what must happen first comes first.
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    PASS,
    ROW_FAIL,
    ROW_PASS,
    RowResult,
    Verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    NO_OBSERVATION,
)

MISSING_RUNTIME = "MISSING RUNTIME"
NETWORK_CANNOT_BE_DENIED = "NETWORK CANNOT BE DENIED"
DESIGN_REPAIR_REQUIRED = "DESIGN REPAIR REQUIRED"
OWNER_OPERATOR_REQUIRED = "OWNER/OPERATOR REQUIRED"
INSUFFICIENT = "INSUFFICIENT"
# The seed's order (its section 5 names them so).
CLASSES = (MISSING_RUNTIME, NETWORK_CANNOT_BE_DENIED, DESIGN_REPAIR_REQUIRED,
           OWNER_OPERATOR_REQUIRED, INSUFFICIENT)

# The network rows of the matrix (#24-#27): one that fails under the unmodified profile means
# this venue's runtime could not deny the network.
NETWORK_ROWS = (24, 25, 26, 27)

# (rule, what it matches, classes, next step). Matches: "finding:<name>" (that finding not
# PASS), "fail:<name>" (that finding FAIL), "row:network" / "row:other" (a row FAIL),
# "row:not_run" (a row not PASS for want of evidence), "ready".
RULES: tuple[tuple[str, str, tuple[str, ...], str], ...] = (
    ("verifier error", "finding:verifier_error", (INSUFFICIENT,),
     "Report the verifier error with this bundle to the sandbox.attest maintainers; the "
     "evidence was not judged, do not act on it."),
    ("internal error of a finding", "check:internal", (INSUFFICIENT,),
     "Report the verifier error with this bundle to the sandbox.attest maintainers; the "
     "evidence was not judged, do not act on it."),
    ("bundle edited, malformed or oversized", "fail:integrity",
     (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: fetch the evidence again from the run (or re-run it); never edit a bundle."),
    ("evidence not as the venue signed it", "fail:signature",
     (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: fetch the evidence again from the run (or re-run it) on the venue whose host "
     "key is pinned; never edit a bundle."),
    ("bundle does not follow the format", "fail:schema", (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: re-produce the bundle with this collection's runner or packet, unedited."),
    ("runtime absent or not the shipped probe", "fail:provenance",
     (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: re-run with the probe image this collection ships, unmodified."),
    ("run records, times or events depart", "fail:run_records|run_times|run_events",
     (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: re-produce the bundle with this collection's runner or packet, unedited."),
    ("engine and probe disagree", "fail:cross_checks|inspect_fields",
     (INSUFFICIENT, OWNER_OPERATOR_REQUIRED),
     "Operator: re-run the attestation; the bundle mixes runs or was edited."),
    ("the profile was not run as shipped", "fail:profile", (OWNER_OPERATOR_REQUIRED,),
     "Operator: run the profile's argv exactly as rendered (sandbox_run or the packet)."),
    ("network boundary did not hold", "row:network", (NETWORK_CANNOT_BE_DENIED,),
     "Owner: do not use this venue for the sandbox; its runtime could not deny the network "
     "under the shipped profile (see the failed rows)."),
    ("another boundary did not hold", "row:other", (DESIGN_REPAIR_REQUIRED,),
     "Owner: repair the profile for the failed rows (each row's fix) before any re-run."),
    ("a pre-existing object changed", "fail:non_mutation", (OWNER_OPERATOR_REQUIRED,),
     "Operator: find what the cited events changed, then re-run in a quiet window."),
    ("engine not modelled", "finding:engine_facts", (MISSING_RUNTIME, DESIGN_REPAIR_REQUIRED),
     "Owner: run on an engine the expectations model, or have it measured and added to the "
     "data (data/expectations.yml, data/inspect-fields.yml)."),
    ("venue not approved, unpinned or a rehearsal", "finding:venue", (OWNER_OPERATOR_REQUIRED,),
     "Operator: run the attestation on the approved venue, pinned in the inventory."),
    ("evidence unsigned or no host key pinned", "finding:signature", (OWNER_OPERATOR_REQUIRED,),
     "Operator: pin the venue's public SSH host key (sandbox_attest_venue_host_key) and re-run "
     "the attestation, so that the venue signs its evidence."),
    ("evidence missing or rows not run", "row:not_run", (INSUFFICIENT,),
     "Operator: re-run the attestation on the approved venue and return the whole bundle."),
    ("host activity in the window", "finding:non_mutation", (INSUFFICIENT,),
     "Operator: re-run in a quiet window; the cited events show what changed."),
    ("anything else short of PASS", "not_ready", (INSUFFICIENT,),
     "Operator: re-run the attestation on the approved venue and return the whole bundle."),
    ("ready", "ready", (),
     "Keep the bundle with its verification; gate B4' acceptance may be asserted."),
)


def _boundary_failed(row: RowResult, verdict: Verdict) -> bool:
    """A failed row whose probes observed the boundary not holding, or whose static or cross
    checks failed; not a row failed only because a probe's line is missing (insufficient
    evidence: the other rules name what is wrong with the bundle)."""
    failing = [check for finding in verdict.findings if finding.name == "probes"
               for check in finding.checks if check.outcome == FAIL and check.id in row.probes]
    judged = [check for check in failing if check.observed not in NO_OBSERVATION]
    return bool(judged) or not failing


def _matches(match: str, verdict: Verdict) -> bool:
    kind, _sep, names = match.partition(":")
    outcomes = {finding.name: finding.outcome for finding in verdict.findings}
    if kind == "finding":
        return any(outcomes.get(name, PASS) != PASS for name in names.split("|"))
    if kind == "fail":
        return any(outcomes.get(name) == FAIL for name in names.split("|"))
    if kind == "check":
        return any(check.id == names and check.outcome == FAIL
                   for finding in verdict.findings for check in finding.checks)
    if kind == "row":
        failed = [row.row for row in verdict.rows
                  if row.result == ROW_FAIL and _boundary_failed(row, verdict)]
        if names == "network":
            return any(row in NETWORK_ROWS for row in failed)
        if names == "other":
            return any(row not in NETWORK_ROWS for row in failed)
        return any(row.result not in (ROW_PASS, ROW_FAIL) for row in verdict.rows)
    if kind == "not_ready":
        return verdict.gate != "UNBLOCKED"
    return kind == "ready"


def classify(verdict: Verdict) -> tuple[list[str], str]:
    """(the classes that apply, in the seed's order; the one next step)."""
    if verdict.gate == "UNBLOCKED":
        applying = [rule for rule in RULES if rule[1] == "ready"]
    else:
        applying = [rule for rule in RULES if rule[1] not in ("ready", "not_ready")
                    and _matches(rule[1], verdict)]
        applying = applying or [rule for rule in RULES if rule[1] == "not_ready"]
    classes = {name for rule in applying for name in rule[2]}
    return [name for name in CLASSES if name in classes], applying[0][3]


def classification_text(classes: list[str]) -> str:
    """"OWNER/OPERATOR REQUIRED + INSUFFICIENT", or "NONE" for a READY verdict."""
    return " + ".join(classes) or "NONE"


# The project's deliberate departures from the seed, stated in the report where they apply.
DEPARTURES = {
    "env": "PR-ENV-1: the seed expects an empty key set; this project admits the keys the "
           "runtime injects even with an empty env file (Docker: PATH, HOSTNAME, HOME), each "
           "with its expected value (data/expectations.yml, row #28). Nothing else may reach "
           "the sandbox.",
    "default-deny": "default-deny seccomp profile: the seed's \"hardened target with an honest "
                    "iterate caveat\". Its allow-list covers the probe set and the runtime's own "
                    "init only; a real workload will need additions, each to be reviewed and "
                    "attested again (module_utils/_seccomp.py).",
}


def departures(verdict: Verdict) -> list[str]:
    """The departures that apply to this verdict's run."""
    found = []
    if any(row.row == 28 for row in verdict.rows):
        found.append(DEPARTURES["env"])
    if verdict.context.get("seccomp_profile") == "default-deny":
        found.append(DEPARTURES["default-deny"])
    return found
