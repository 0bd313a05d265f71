# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Machine-readable outputs of a Verdict: verdict.json, two in-toto Statements, junit.xml.

statement.intoto.json: an in-toto Statement v1 whose subjects are the bundle's files (sha256)
and whose predicate (this project's own type) carries the status, gate and matrix.
vsa.intoto.json: a second Statement with a SLSA verification_summary v1 predicate, so tools
that understand VSAs can gate on the verdict. Neither is signed here (later work).
"""

from __future__ import annotations

import hashlib
import urllib.parse
import xml.etree.ElementTree as ET
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    GATE_NAME,
    ROW_FAIL,
    ROW_NOT_RUN,
    STATUS_READY,
    Verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verdict_language import (
    classification_text,
    classify,
    departures,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._text import xml_text

STATEMENT_TYPE = "https://in-toto.io/Statement/v1"
PROJECT_URI = "https://example.invalid/sandbox-attest"
PREDICATE_TYPE = PROJECT_URI + "/predicates/sandbox-attestation/v1"
VSA_PREDICATE_TYPE = "https://slsa.dev/verification_summary/v1"
VERIFIER_ID = PROJECT_URI + "/verifier"
POLICY_URI = PROJECT_URI + "/policy/acceptance-matrix-24-37"
VERDICT_FORMAT = 1


def meaning_sources(verdict: Verdict) -> dict[str, list[int]]:
    sources: dict[str, list[int]] = {"seed": [], "project": []}
    for row in verdict.rows:
        sources.setdefault(row.meaning_source, []).append(row.row)
    return sources


def verdict_document(verdict: Verdict) -> dict[str, Any]:
    context = verdict.context
    non_mutation = next((f for f in verdict.findings if f.name == "non_mutation"), None)
    return {
        "format": VERDICT_FORMAT,
        "verifier": context["verifier"],
        "verified_at": verdict.verified_at,
        "bundle": {
            "path": context["bundle"],
            "run_id": context["run_id"],
            "host": context["host"],
            "claimed_host": context["claimed_host"],
            "producer": context["producer"],
            "manifest_sha256": context["manifest_sha256"],
            "image_id": context["image_id"],
            "probe_sha256": context["probe_sha256"],
            "seccomp_profile": context["seccomp_profile"],
            "security_module": context["security_module"],
        },
        "status": verdict.status,
        "gate": {"name": GATE_NAME, "state": verdict.gate},
        "classification": _classification(verdict),
        "departures": departures(verdict),
        "reasons": verdict.reasons,
        "meaning_sources": meaning_sources(verdict),
        "rows": [row.as_dict() for row in verdict.rows],
        "findings": [finding.as_dict() for finding in verdict.findings],
        "churn": list(non_mutation.extra.get("churn", [])) if non_mutation else [],
        "shipped": context["shipped"],
        "data": context["data"],
    }


def _classification(verdict: Verdict) -> dict[str, Any]:
    """The seed's failure classification (a set, in its order) and the one next step."""
    classes, next_step = classify(verdict)
    return {"classes": classes, "text": classification_text(classes), "next_step": next_step}


def _policy_digest(verdict: Verdict) -> str:
    """One digest over the three data files that define what "verified" means."""
    data = verdict.context["data"]
    return hashlib.sha256(canonical({key: data[key]["sha256"] for key in sorted(data)})).hexdigest()


def statement(verdict: Verdict) -> dict[str, Any]:
    context = verdict.context
    return {
        "_type": STATEMENT_TYPE,
        "subject": verdict.subjects,
        "predicateType": PREDICATE_TYPE,
        "predicate": {
            "status": verdict.status,
            "gate": {"name": GATE_NAME, "state": verdict.gate},
            "reasons": verdict.reasons,
            "verifiedAt": verdict.verified_at,
            "verifier": context["verifier"],
            "run": {
                "runId": context["run_id"],
                "host": context["host"],
                "producer": context["producer"],
                "runtime": context["runtime"],
                "seccompProfile": context["seccomp_profile"],
                "imageId": context["image_id"],
                "probeSha256": context["probe_sha256"],
                "startedAt": context["started_at"],
                "finishedAt": context["finished_at"],
            },
            "venue": next((f.extra for f in verdict.findings if f.name == "venue"), {}),
            "matrix": [{
                "row": row.row,
                "boundary": row.boundary,
                "meaningSource": row.meaning_source,
                "result": row.result,
                "evidence": list(row.refs),
            } for row in verdict.rows],
            "findings": {f.name: f.outcome for f in verdict.findings},
            "policy": {"uri": POLICY_URI, "digest": {"sha256": _policy_digest(verdict)}},
        },
    }


def resource_uri(verdict: Verdict) -> str:
    host = urllib.parse.quote(str(verdict.context.get("host") or "unknown"), safe="")
    run_id = urllib.parse.quote(str(verdict.context.get("run_id") or "unknown"), safe="")
    return "urn:sandbox-attest:evidence:%s:%s" % (host, run_id)


def vsa(verdict: Verdict) -> dict[str, Any]:
    context = verdict.context
    passed = verdict.status == STATUS_READY
    inputs = []
    if context.get("manifest_sha256"):
        inputs.append({"uri": "manifest.json", "digest": {"sha256": context["manifest_sha256"]}})
    return {
        "_type": STATEMENT_TYPE,
        "subject": verdict.subjects,
        "predicateType": VSA_PREDICATE_TYPE,
        "predicate": {
            "verifier": {"id": VERIFIER_ID,
                         "version": {"sandbox.attest": context["verifier"]["version"]}},
            "timeVerified": verdict.verified_at,
            "resourceUri": resource_uri(verdict),
            "policy": {"uri": POLICY_URI, "digest": {"sha256": _policy_digest(verdict)}},
            "inputAttestations": inputs,
            "verificationResult": "PASSED" if passed else "FAILED",
            # Custom results may not start with SLSA_; "FAILED" is the spec's failure value.
            "verifiedLevels": [verdict.status] if passed else ["FAILED"],
            "slsaVersion": "1.0",
            PROJECT_URI + "/status": verdict.status,
            PROJECT_URI + "/gate": {"name": GATE_NAME, "state": verdict.gate},
            PROJECT_URI + "/classification": _classification(verdict),
        },
    }


def _element(parent: ET.Element, tag: str, text: str | None = None,
             **attributes: str) -> ET.Element:
    """A child element whose attributes and text XML 1.0 can hold, whatever the evidence says."""
    element = ET.SubElement(parent, tag, {key: xml_text(value) for key, value in
                                          attributes.items()})
    if text is not None:
        element.text = xml_text(text)
    return element


def junit(verdict: Verdict) -> bytes:
    failures = sum(1 for row in verdict.rows if row.result == ROW_FAIL)
    skipped = sum(1 for row in verdict.rows if row.result == ROW_NOT_RUN)
    suites = ET.Element("testsuites", name="sandbox.attest verify", tests=str(len(verdict.rows)),
                        failures=str(failures), errors="0", skipped=str(skipped))
    suite = _element(suites, "testsuite", name="acceptance matrix #24-#37",
                     tests=str(len(verdict.rows)), failures=str(failures), errors="0",
                     skipped=str(skipped), timestamp=verdict.verified_at)
    properties = _element(suite, "properties")
    for name, value in (("status", verdict.status), ("gate", "%s %s" % (GATE_NAME, verdict.gate)),
                        ("run_id", str(verdict.context.get("run_id"))),
                        ("host", str(verdict.context.get("host")))):
        _element(properties, "property", name=name, value=value)
    for row in verdict.rows:
        case = _element(suite, "testcase", classname="matrix.row%d" % row.row,
                        name="#%d %s (%s meaning)" % (row.row, row.boundary,
                                                      row.meaning_source))
        detail = "\n".join(list(row.reasons) + ["evidence: " + ref for ref in row.refs])
        if row.result == ROW_FAIL:
            _element(case, "failure", detail + ("\nfix: " + row.fix if row.fix else ""),
                     message="; ".join(row.reasons)[:1000], type="FAIL")
        elif row.result == ROW_NOT_RUN:
            _element(case, "skipped", message=("NOT_RUN: " + "; ".join(row.reasons))[:1000])
        _element(case, "system-out", detail)
    return ('<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(suites, encoding="unicode")
            + "\n").encode("utf-8")
