# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verdict of a verification that could not finish: FAILED, "evidence not judged".

The verifier always answers (issue 13): an error of its own on some evidence is neither a
traceback nor a missing verdict, and never READY. The verdict names the error and judges nothing
else: no row, no finding but this one.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    collection_version,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    GATE_BLOCKED,
    STATUS_FAILED,
    Check,
    Finding,
    Verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import short

VERIFIER_ERROR = "verifier_error"
NOT_JUDGED = "evidence not judged: verifier error"
DATA_KEYS = ("schema", "expectations", "matrix", "inspect_fields")


def blank_context(bundle_dir: Any, data: Any) -> dict[str, Any]:
    """Every key the outputs read, none of them taken from the evidence."""
    known = data if isinstance(data, dict) else {}
    return {
        "bundle": bundle_dir, "run_id": None, "host": None, "claimed_host": None,
        "producer": None, "runtime": None, "seccomp_profile": None, "image_id": None,
        "probe_sha256": None, "started_at": None, "finished_at": None,
        "security_module": None, "identities": [], "shipped": None, "shipped_problem": None,
        "manifest_sha256": None,
        "verifier": {"collection": "sandbox.attest", "version": collection_version()},
        "data": {key: dict(known.get(key) or {"path": None, "sha256": ""}) for key in DATA_KEYS},
    }


def error_verdict(bundle_dir: Any, data: Any, verified_at: str, exc: BaseException) -> Verdict:
    """FAILED, gate blocked, one finding naming the error."""
    message = "%s (%s: %s)" % (NOT_JUDGED, type(exc).__name__, short(str(exc), 300))
    finding = Finding(VERIFIER_ERROR)
    finding.add(Check(VERIFIER_ERROR, FAIL, message))
    return Verdict(status=STATUS_FAILED, gate=GATE_BLOCKED, reasons=[message], rows=[],
                   findings=[finding], context=blank_context(bundle_dir, data), subjects=[],
                   verified_at=verified_at)
