"""The seed's verdict language: the docs' table is the module's, and each status the tests
produce carries a classification and exactly one next step."""

from __future__ import annotations

import os

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import _verdict_language as vl
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier_error import (
    error_verdict,
)

DOC = os.path.join(os.path.dirname(__file__), *[".."] * 5, "docs", "verdict-language.md")


def test_the_docs_table_is_the_modules() -> None:
    with open(DOC, encoding="utf-8") as handle:
        text = handle.read()
    for name, match, classes, step in vl.RULES:
        line = "| %s | `%s` | %s | %s |" % (name, match, " + ".join(classes) or "NONE", step)
        assert line in text, name


def test_ready_is_classified_none(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY
    classes, step = vl.classify(verdict)
    assert classes == [] and vl.classification_text(classes) == "NONE" and step


def test_a_rehearsal_venue_is_owner_operator_required(bundle, verify) -> None:
    verdict = verify(bundle, approved_venues={})
    classes, step = vl.classify(verdict)
    assert verdict.status != STATUS_READY
    assert vl.OWNER_OPERATOR_REQUIRED in classes and step


def test_a_verifier_error_is_insufficient() -> None:
    verdict = error_verdict("b", None, "2026-11-28T23:00:00Z", RuntimeError("boom"))
    assert verdict.status == STATUS_FAILED
    assert vl.classify(verdict)[0] == [vl.INSUFFICIENT]
    assert verdict.reasons[0].startswith("evidence not judged: verifier error")


def test_a_network_probe_line_missing_is_insufficient_not_network(
        model, write_bundle, verify) -> None:
    """A row failed because its probe left no line is missing evidence: the network was not
    shown to be undeniable."""
    model.drop_probe("workload", "PR-NET-2")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    classes, dummy = vl.classify(verdict)
    assert vl.NETWORK_CANNOT_BE_DENIED not in classes and vl.INSUFFICIENT in classes


def test_a_network_probe_that_reached_out_is_network_cannot_be_denied(
        model, write_bundle, verify) -> None:
    model.observation("workload", "PR-SOCK-1", "socket", "AF_PACKET/SOCK_RAW")["ret"] = 0
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert vl.NETWORK_CANNOT_BE_DENIED in vl.classify(verdict)[0]
