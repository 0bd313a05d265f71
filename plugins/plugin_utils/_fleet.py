# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The fleet summary: one row per host of an attestation run.

What each host recorded during the run (venue kind and pin, run id, the last failure or the
unreachable message) and the verdict the verifier exported with set_stats become one entry per
host; the entries are rendered as fleet.json, fleet.md and a JUnit file with one test case per
host and matrix row. Nothing here computes a status: a host's status is its verdict's, or
NOT_ATTESTED with the reason there is no verdict.
"""

from __future__ import annotations

import json
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    DataError,
    load_matrix,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    write_file,
)

FLEET_FORMAT = 1
OUTPUT_NAMES = ("fleet.json", "fleet.md", "junit.xml")
READY = "SANDBOX_ATTESTED_READY"
NOT_ATTESTED = "NOT_ATTESTED"
# A verdict.json is a few hundred kB at most (the verifier bounds its inputs); more is not ours.
VERDICT_MAX_BYTES = 16 * 1024 * 1024


class FleetError(ValueError):
    """A summary that cannot be built or written, with the reason."""


def read_verdict_rows(path: str) -> list[dict[str, Any]]:
    """The matrix rows (row, result, reasons) of a verdict.json; a file that cannot be read or
    is not a verdict raises FleetError naming the file and the problem."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(VERDICT_MAX_BYTES + 1)
    except OSError as exc:
        raise FleetError("cannot read the verdict %s: %s" % (path, exc.strerror)) from exc
    if len(data) > VERDICT_MAX_BYTES:
        raise FleetError("the verdict %s is larger than %d bytes" % (path, VERDICT_MAX_BYTES))
    try:
        document = json.loads(data)
    except ValueError as exc:
        raise FleetError("the verdict %s is not JSON: %s" % (path, exc)) from exc
    rows = document.get("rows") if isinstance(document, dict) else None
    if not isinstance(rows, list) or not all(
            isinstance(r, dict) and isinstance(r.get("row"), int)
            and isinstance(r.get("result"), str) for r in rows):
        raise FleetError("the verdict %s has no list of rows with a row number and a result"
                         % path)
    return [{"row": r["row"], "result": r["result"],
             "reasons": [str(x) for x in r.get("reasons") or []]} for r in rows]


def matrix_rows(path: str | None = None) -> list[int]:
    """The row numbers of the shipped matrix (the JUnit rows of a host without a verdict);
    none when it cannot be read (such a host then has no test case but its suite)."""
    try:
        return [row["row"] for row in load_matrix(path).document["rows"]]
    except DataError:
        return []


def _outcome(record: dict[str, Any], verdict: dict[str, Any] | None) -> str:
    if verdict:
        return "verified"
    if record.get("unreachable"):
        return "unreachable"
    if record.get("failure"):
        # Preflight publishes the run id before anything of the run is created: a host that
        # failed without one was refused with nothing made on it.
        return "failed" if record.get("run_id") else "refused"
    return "not_verified"


def host_entry(name: str, record: dict[str, Any], verdict: dict[str, Any] | None,
               read_rows: Callable[[str], list[dict[str, Any]]] = read_verdict_rows
               ) -> dict[str, Any]:
    """One host's row of the summary. record: what the run recorded for the host; verdict:
    its entry of sandbox_attest_verdicts (set_stats), or None when it has none."""
    outcome = _outcome(record, verdict)
    entry: dict[str, Any] = {
        "host": name,
        "outcome": outcome,
        "status": NOT_ATTESTED,
        "venue_kind": record.get("venue_kind") or "unknown",
        "pinned_fingerprint": record.get("pin") or None,
        "observed_fingerprint": record.get("fingerprint") or None,
        "run_id": record.get("run_id") or None,
        "evidence": None,
        "verdict": None,
        "rows": [],
        "rows_not_pass": [],
        "reasons": [],
    }
    if verdict:
        entry.update(status=str(verdict.get("status") or NOT_ATTESTED),
                     run_id=verdict.get("run_id") or entry["run_id"],
                     evidence=verdict.get("bundle") or None,
                     verdict=verdict.get("verdict") or None,
                     reasons=[str(r) for r in verdict.get("reasons") or []])
        if entry["verdict"]:
            try:
                entry["rows"] = read_rows(entry["verdict"])
            except FleetError as exc:
                entry["reasons"].append(str(exc))
        else:
            entry["reasons"].append("verified in check mode: no verdict.json was written")
        entry["rows_not_pass"] = [r["row"] for r in entry["rows"] if r["result"] != "PASS"]
        if record.get("failure"):
            entry["reasons"].append(record["failure"])
        return entry
    entry["evidence"] = record.get("incomplete") or None
    if outcome == "not_verified":
        entry["reasons"] = ["no verdict: the run stopped before verification (check mode, or "
                            "the play ended early)"]
    else:
        entry["reasons"] = [record.get("failure") or "no reason was recorded"]
    if entry["evidence"] is None:
        entry["reasons"].append("no evidence bundle: %s" % {
            "unreachable": "the host could not be reached",
            "refused": "the host was refused before anything was created",
            "failed": "the run failed before its evidence was kept",
        }.get(outcome, "no bundle was written"))
    return entry


def summarise(records: dict[str, dict[str, Any]], verdicts: dict[str, dict[str, Any]],
              generated_at: str,
              read_rows: Callable[[str], list[dict[str, Any]]] = read_verdict_rows
              ) -> dict[str, Any]:
    """The fleet summary over every host the run recorded or the verifier exported."""
    if not isinstance(verdicts, dict):
        raise FleetError("sandbox_attest_verdicts is %s, not a mapping of host to verdict"
                         % type(verdicts).__name__)
    names = sorted(set(records) | set(verdicts))
    hosts = [host_entry(n, records.get(n, {}), verdicts.get(n) or None, read_rows)
             for n in names]
    counts: dict[str, int] = {}
    for host in hosts:
        counts[host["status"]] = counts.get(host["status"], 0) + 1
    return {
        "format": FLEET_FORMAT,
        "generated_at": generated_at,
        "hosts_total": len(hosts),
        "hosts_ready": counts.get(READY, 0),
        "status_counts": dict(sorted(counts.items())),
        "hosts": hosts,
    }


def _cell(value: Any) -> str:
    text = "-" if value in (None, "", []) else (
        ", ".join(str(v) for v in value) if isinstance(value, list) else str(value))
    # A table cell holds one line, and a pipe would open another column.
    return " ".join(text.split()).replace("|", "\\|")


def render_markdown(summary: dict[str, Any]) -> str:
    lines = [
        "# Fleet summary",
        "",
        "%d host(s), %d SANDBOX_ATTESTED_READY; generated %s." % (
            summary["hosts_total"], summary["hosts_ready"], summary["generated_at"]),
        "Each host's status is its own verdict (its bundle's verification/verdict.json); a "
        "host without a verdict is NOT_ATTESTED and says why.",
        "",
        "| host | status | outcome | rows not PASS | venue | pinned fingerprint | evidence "
        "or reason |",
        "|---|---|---|---|---|---|---|",
    ]
    for host in summary["hosts"]:
        where = host["evidence"] or "; ".join(host["reasons"])
        lines.append("| %s |" % " | ".join(_cell(v) for v in (
            host["host"], host["status"], host["outcome"], host["rows_not_pass"],
            host["venue_kind"], host["pinned_fingerprint"], where)))
    lines += ["", "## Reasons", ""]
    for host in summary["hosts"]:
        lines.append("- **%s**: %s" % (_cell(host["host"]),
                                       _cell("; ".join(host["reasons"]) or "none")))
    return "\n".join(lines) + "\n"


def render_junit(summary: dict[str, Any], matrix_rows: list[int]) -> bytes:
    """One test suite per host and one test case per host and matrix row; a host without a
    verdict fails every row with its reason (CI shows the refusal where the rows would be)."""
    suites = ET.Element("testsuites", name="sandbox.attest fleet")
    for host in summary["hosts"]:
        suite = ET.SubElement(suites, "testsuite", name=host["host"])
        cases = host["rows"] or [{"row": row, "result": None, "reasons": []}
                                 for row in matrix_rows]
        failures = 0
        for case in cases:
            element = ET.SubElement(suite, "testcase", name="row %d" % case["row"],
                                    classname="sandbox.attest.%s" % host["host"])
            if case["result"] == "PASS":
                continue
            failures += 1
            if case["result"] is None:
                message = "%s (%s): %s" % (host["status"], host["outcome"],
                                           "; ".join(host["reasons"]))
            else:
                message = "%s: %s" % (case["result"], "; ".join(case["reasons"]) or
                                      host["status"])
            ET.SubElement(element, "failure", message=message,
                          type=case["result"] or host["outcome"]).text = message
        suite.set("tests", str(len(cases)))
        suite.set("failures", str(failures))
    return ET.tostring(suites, encoding="utf-8", xml_declaration=True) + b"\n"


def render_outputs(summary: dict[str, Any], matrix_rows: list[int]) -> dict[str, bytes]:
    return {
        "fleet.json": (json.dumps(summary, indent=2, sort_keys=True) + "\n").encode("utf-8"),
        "fleet.md": render_markdown(summary).encode("utf-8"),
        "junit.xml": render_junit(summary, matrix_rows),
    }


def write_outputs(dest: str, outputs: dict[str, bytes]) -> dict[str, str]:
    """Write each output atomically (a reader never sees half a summary) under dest."""
    if not os.path.isabs(dest):
        raise FleetError("the fleet summary directory must be an absolute path, not %r" % dest)
    try:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        written = {name: write_file(dest, name, data) for name, data in outputs.items()}
    except OSError as exc:
        raise FleetError("cannot write the fleet summary in %s: %s" % (dest, exc)) from exc
    return written
