"""A real Podman bundle (tests/unit/data/podman-bundle: the roles with runtime podman on the
Molecule Podman host) until the verifier judges Podman (issue 18): FAILED, never READY, and
what it says of it - the rows whose probes its expectations judge pass, the rows whose static
checks read Docker's inspect document do not, and the schema names docker as the only
runtime (docs/podman-facts.md section 13)."""

from __future__ import annotations

import json
import os

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier import (
    Options,
    verify_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    render_outputs,
)

BUNDLE = os.path.join(os.path.dirname(__file__), "..", "..", "..", "data", "podman-bundle")
# A little after the run, so that the bundle's age is no reason.
NOW = "2026-11-30T14:20:00Z"


def _verdict() -> dict:
    return json.loads(render_outputs(verify_bundle(BUNDLE, Options(now=NOW)))["verdict.json"])


def test_a_podman_bundle_fails_closed() -> None:
    verdict = _verdict()
    assert verdict["status"] == "SANDBOX_ATTESTATION_FAILED"
    assert "schema: run.json/runtime: 'podman' is not one of ['docker']" in verdict["reasons"]
    assert "schema: profile/profile.json/runtime: 'podman' is not one of ['docker']" in \
        verdict["reasons"]


def test_its_rows_as_measured() -> None:
    rows = {row["row"]: row["result"] for row in _verdict()["rows"]}
    # Judged by runtimes.podman's probes alone, or by checks Podman's inspect satisfies.
    assert {n for n, result in rows.items() if result == "PASS"} == {24, 27, 28, 30, 33, 35}
    assert {n for n, result in rows.items() if result == "FAIL"} == {
        25, 26, 29, 31, 32, 34, 36, 37}
