# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""report.md: what an auditor who did not run anything reads.

Order: the verdict and what blocks the gate (with how to fix each failed row), which path
produced the bundle and what that means for trust, the venue, the matrix with where each row's
meaning comes from, every probe (expected, observed, verdict, row), the static checks, then
integrity, provenance, cross-checks and non-mutation.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    GATE_NAME,
    INFO,
    PASS,
    ROW_PASS,
    Check,
    Finding,
    Verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verdict_language import (
    classification_text,
    classify,
    departures,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
)

# How to clear a finding that is not bound to a matrix row.
FINDING_FIXES = {
    "schema": "Re-produce the bundle with this collection's runner or packet; do not edit it.",
    "integrity": "Fetch the evidence again from the run; a bundle is never edited by hand.",
    "provenance": "Run with the probe image this collection ships (make probe; the image ID "
                  "is printed by --check); do not mix files from different runs.",
    "venue": "Run on the approved host and pin its fingerprint (printed by preflight) in the "
             "inventory's approved venues; a rehearsal venue never unblocks the gate.",
    "profile": "Run the profile's argv as rendered (sandbox_run or the packet), unmodified.",
    "probes": "See the rows: each failed probe names the boundary that did not hold.",
    "cross_checks": "The engine's and the probe's views disagree: re-run; the bundle mixes "
                    "runs or was edited.",
    "non_mutation": "Re-run in a quiet window; the cited events show what changed.",
    "run_records": "Re-produce the bundle with this collection's runner or packet; its records "
                   "(commands, removal, fetch, profile) must be the run's own, unedited.",
    "run_events": "Re-produce the bundle with this collection's runner or packet; the event log "
                  "is the engine's, never edited, and the run does nothing it does not record.",
    "run_times": "Re-run with the venue's clock set right; a bundle's times are never edited.",
    "engine_facts": "Run on an engine the expectations data models, or measure this one and "
                    "add it to data/expectations.yml (cgroups, architecture, security options) "
                    "and data/inspect-fields.yml (API version, OCI runtime).",
}

# Which packet produced a packet bundle, and whether each container ran the profile's argv.
PACKET_CHECKS = ("producer", "packet_digest", "packet_format", "packet_rendered",
                 "packet_release")

VERDICT_WORDS = {PASS: "PASS", "fail": "FAIL", "partial": "PARTIAL", "missing": "MISSING",
                 INFO: "info"}


def cell(value: Any) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ").strip() or "—"


def _table(header: list[str], rows: list[list[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(cell(value) for value in row) + " |" for row in rows]
    return lines


def _finding(verdict: Verdict, name: str) -> Finding:
    """The named finding, or an empty one (a verifier-error verdict judged nothing)."""
    try:
        return verdict.finding(name)
    except KeyError:
        return Finding(name)


def _rows_for(verdict: Verdict, attr: str, check_id: str) -> str:
    return ", ".join("#%d" % row.row for row in verdict.rows
                     if check_id in getattr(row, attr)) or "—"


def _producer(verdict: Verdict) -> list[str]:
    raw = verdict.context.get("producer")
    producer: dict[str, Any] = raw if isinstance(raw, dict) else {}
    path = producer.get("path")
    if path == "automated":
        return ["Produced by the **automated path**: Ansible ran the sandbox over its own "
                "connection (SSH to a remote venue, local for a rehearsal) and fetched the "
                "evidence itself. Its trust rests on the controller having run it "
                "(collection %s %s)." % (
                    cell(producer.get("collection")), cell(producer.get("collection_version")))]
    if path == "packet":
        lines = ["Produced by the **operator packet** (packet sha256 `%s`): an operator ran the "
                 "rendered commands and returned the files. Integrity and cross-checks catch "
                 "corruption and naive edits, but a packet operator can forge a consistent "
                 "bundle; only a signature (later work) changes that." % cell(
                     producer.get("packet_sha256"))]
        checks = [c for c in _finding(verdict, "provenance").checks
                  if c.id in PACKET_CHECKS]
        checks += [c for c in _finding(verdict, "profile").checks if c.id == "argv_rendered"]
        if checks:
            lines += [""] + ["- %s: %s" % (VERDICT_WORDS.get(c.outcome, c.outcome), cell(
                c.message)) for c in checks]
        return lines
    return ["The bundle does not say which path produced it (`run.json` producer: %s): treat "
            "it as unauthenticated." % cell(raw)]


def _check_rows(checks: list[Check], with_identity: bool = True) -> list[list[Any]]:
    return [([check.identity or "—"] if with_identity else []) + [
        check.id, VERDICT_WORDS.get(check.outcome, check.outcome), check.message]
        for check in checks]


def render_report(verdict: Verdict) -> str:
    ctx = verdict.context
    lines: list[str] = []
    lines.append("# Sandbox attestation verification — %s" % verdict.status)
    lines.append("")
    classes, next_step = classify(verdict)
    lines.append("Failure classification (seed, macro §5): **%s**" % classification_text(classes))
    lines.append("")
    lines.append("Minimal safe next step (exactly one): %s" % next_step)
    lines.append("")
    lines += _table(["", ""], [
        ["status", "**%s**" % verdict.status],
        ["gate", "%s %s" % (GATE_NAME, verdict.gate)],
        ["host", ctx.get("host")],
        ["run id", ctx.get("run_id")],
        ["run window", "%s → %s" % (ctx.get("started_at"), ctx.get("finished_at"))],
        ["runtime / seccomp profile", "%s / %s" % (ctx.get("runtime"), ctx.get("seccomp_profile"))],
        ["host security module", ctx.get("security_module")],
        ["verified at", verdict.verified_at],
        ["verifier", "sandbox.attest %s" % ctx["verifier"]["version"]],
        ["bundle", ctx.get("bundle")],
    ])
    lines.append("")

    lines.append("## What blocks the gate")
    lines.append("")
    if not verdict.reasons:
        lines.append("Nothing: every row PASS, integrity holds, nothing pre-existing changed, "
                     "the venue is approved and its pin matches. %s is UNBLOCKED." % GATE_NAME)
    else:
        lines.append("%s stays BLOCKED. Every reason:" % GATE_NAME)
        lines.append("")
        lines += ["- %s" % cell(reason) for reason in verdict.reasons]
        failed_rows = [row for row in verdict.rows if row.result != ROW_PASS]
        if failed_rows:
            lines += ["", "How to fix each row that is not PASS:", ""]
            lines += ["- **#%d %s** (%s): %s" % (row.row, row.boundary, row.result, cell(row.fix))
                      for row in failed_rows]
        other = [f for f in verdict.findings if f.outcome != PASS and f.name not in (
            "probes", "profile", "cross_checks")] + [
            f for f in verdict.findings if f.name in ("profile", "cross_checks")
            and f.outcome != PASS]
        if other:
            lines += ["", "Findings to clear:", ""]
            lines += ["- **%s** (%s): %s" % (f.name, f.outcome, FINDING_FIXES.get(f.name, ""))
                      for f in other]
    lines.append("")

    stated = departures(verdict)
    if stated:
        lines.append("## Deliberate departures from the seed")
        lines.append("")
        lines += ["- %s" % text for text in stated]
        lines.append("")

    lines.append("## Which path produced the bundle")
    lines.append("")
    lines += _producer(verdict)
    lines.append("")

    venue = _finding(verdict, "venue")
    lines.append("## Venue")
    lines.append("")
    extra = venue.extra
    lines += _table(["host", "approved", "rehearsal", "pinned fingerprint",
                     "evidence fingerprint", "verdict"], [[
                         extra.get("host"), extra.get("approved"), extra.get("rehearsal"),
                         extra.get("pinned"), extra.get("fingerprint"),
                         "; ".join(c.message for c in venue.checks)]])
    lines.append("")
    lines.append("A local or rehearsal venue is never a substitute for the approved one.")
    lines.append("")

    lines.append("## Matrix #24–#37")
    lines.append("")
    sources = {"seed": [r.row for r in verdict.rows if r.meaning_source == "seed"],
               "project": [r.row for r in verdict.rows if r.meaning_source == "project"]}
    lines.append("Meanings: row(s) %s come from the seed (KB-1E21, which defines only #27, "
                 "process-level egress); row(s) %s are this project's reading (data/matrix.yml; "
                 "a team with the rev4 matrix edits that file)." % (
                     ", ".join("#%d" % r for r in sources["seed"]) or "none",
                     ", ".join("#%d" % r for r in sources["project"]) or "none"))
    lines.append("")
    lines += _table(["row", "boundary", "meaning from", "result", "decided by", "why"], [[
        "#%d" % row.row, row.boundary, row.meaning_source, "**%s**" % row.result,
        ", ".join(row.probes + row.static_checks + row.cross_checks),
        "; ".join(row.reasons) or "all bound evidence holds"] for row in verdict.rows])
    lines.append("")
    lines.append("Evidence references per row:")
    lines.append("")
    lines += ["- #%d: %s" % (row.row, ", ".join("`%s`" % r for r in row.refs) or "none")
              for row in verdict.rows]
    lines.append("")

    probes = _finding(verdict, "probes")
    lines.append("## Probes (verdicts recomputed from raw observations)")
    lines.append("")
    lines.append("Runtime %s, host security module %s. Any verdict a probe line carries is "
                 "ignored." % (probes.extra.get("runtime"), probes.extra.get("security_module")))
    for identity in ctx["identities"]:
        lines.append("")
        lines.append("### As %s" % identity)
        lines.append("")
        checks = [c for c in probes.checks if c.identity == identity]
        header = [c for c in checks if c.id == "probe_output"]
        lines += ["%s" % c.message for c in header]
        lines.append("")
        by_id = {c.id: c for c in checks}
        lines += _table(["probe", "expected", "observed", "verdict", "row"], [[
            probe, by_id[probe].expected if probe in by_id else "",
            by_id[probe].observed if probe in by_id else "",
            VERDICT_WORDS.get(by_id[probe].outcome, "") if probe in by_id else "MISSING",
            _rows_for(verdict, "probes", probe)] for probe in PROBE_ORDER])
    lines.append("")

    profile = _finding(verdict, "profile")
    lines.append("## Static checks (inspect documents, parsed)")
    lines.append("")
    lines += _table(["identity", "check", "expected", "observed", "verdict", "row"], [[
        c.identity or "—", c.id, c.expected, c.observed, VERDICT_WORDS.get(c.outcome, c.outcome),
        _rows_for(verdict, "static_checks", c.id)] for c in profile.checks])
    lines.append("")

    for name, title in (("cross_checks", "Cross-checks (engine view against probe view)"),
                        ("integrity", "Integrity (manifest.json)"),
                        ("schema", "Schema (evidence-bundle-v1)"),
                        ("provenance", "Provenance"),
                        ("run_records", "Run records (result, fetch, profile, settings)"),
                        ("run_times", "Times"),
                        ("run_events", "Engine events (shape, this run's own)"),
                        ("engine_facts", "Engine facts"),
                        ("non_mutation", "Non-mutation")):
        finding = _finding(verdict, name)
        lines.append("## %s — %s" % (title, finding.outcome.upper()))
        lines.append("")
        with_identity = name in ("cross_checks", "provenance")
        lines += _table((["identity"] if with_identity else []) + ["check", "verdict", "detail"],
                        _check_rows(finding.checks, with_identity))
        if name == "non_mutation":
            churn = finding.extra.get("churn") or []
            lines.append("")
            lines.append("Churn (new objects unrelated to the run; listed, not blocking): %s"
                         % (", ".join(churn) if churn else "none"))
            for change in finding.extra.get("changed") or []:
                lines.append("")
                lines.append("- %s %s (%s): %s; engine events: %s" % (
                    change["kind"], cell(change.get("name")), cell(change["id"][:12]),
                    cell(change["change"]), cell("; ".join(change["events"]) or "none")))
        lines.append("")

    shipped = ctx.get("shipped")
    lines.append("## Pinned artefacts")
    lines.append("")
    lines += _table(["", "bundle", "shipped by this collection"], [
        ["image ID", ctx.get("image_id"), (shipped and shipped.get("image_id"))
         or ctx.get("shipped_problem")],
        ["probe sha256", ctx.get("probe_sha256"), (shipped and shipped.get("probe_sha256"))
         or ctx.get("shipped_problem")],
    ])
    lines.append("")
    data = ctx["data"]
    lines.append("Policy data: matrix `%s` (sha256 %s), expectations (sha256 %s), schema "
                 "(sha256 %s)." % (data["matrix"].get("name"), data["matrix"]["sha256"][:16],
                                   data["expectations"]["sha256"][:16],
                                   data["schema"]["sha256"][:16]))
    lines.append("")
    return "\n".join(lines)
