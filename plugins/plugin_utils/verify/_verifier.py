# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The verifier: one bundle directory in, one Verdict out.

Reads the bundle once (_evidence), runs each named finding (findings/), binds the matrix and
decides status and gate. It opens no connection and writes nothing; outputs/_write renders the
outputs.
Malformed evidence is a finding, never an exception: each finding runs behind a guard that
turns an unforeseen error into a FAIL of that finding, and the whole verification behind one
that turns any other error into the FAILED verdict "evidence not judged: verifier error"
(_verifier_error): the verifier always answers, and never READY by accident.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.module_utils._engine import utc_now
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import VERIFICATION_DIR
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    SHIPPED_PROBE_PATH,
    DataError,
    load_expectations,
    load_inspect_fields,
    load_matrix,
    load_schema,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    KIND_FILE,
    load_evidence,
    read_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    security_module,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._matrix import (
    bind_matrix,
    bound_ids,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    Check,
    Finding,
    Verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._status import decide
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import dig, short
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier_error import (
    NOT_JUDGED,
    blank_context,
    error_verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import (
    _inspect_fields,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._cross_checks import (
    check_cross,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._engine_facts import (
    check_engine_facts,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._integrity import (
    bad_files,
    check_integrity,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._non_mutation import (
    check_non_mutation,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    check_probes,
    outputs,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
    check_profile,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._provenance import (
    Shipped,
    check_provenance,
    shipped_artifacts,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._run_events import (
    check_run_events,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._run_records import (
    check_run_records,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._run_times import (
    check_run_times,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._schema import (
    check_schema,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._signature import (
    check_signature,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    Venues,
    check_venue,
    claimed_host,
)


@dataclass(frozen=True)
class Options:
    """What the inventory and the caller tell the verifier."""

    venues: Venues = field(default_factory=Venues)
    host: str | None = None
    probe_path: str = SHIPPED_PROBE_PATH
    # Given by tests and by callers that computed them already; else computed from probe_path.
    shipped: Shipped | None = None
    expectations_path: str | None = None
    matrix_path: str | None = None
    schema_path: str | None = None
    inspect_fields_path: str | None = None
    now: str | None = None


def _guard(name: str, run: Callable[[], Finding]) -> Finding:
    try:
        return run()
    except Exception as exc:
        finding = Finding(name)
        finding.add(Check("internal", FAIL, "%s: %s (%s: %s)"
                          % (name, NOT_JUDGED, type(exc).__name__, short(str(exc), 300))))
        return finding


@dataclass(frozen=True)
class PolicyData:
    """The collection's data files that define what "verified" means."""

    schema: Any
    expectations: Any
    matrix: Any
    inspect_fields: Any

    def context(self) -> dict[str, Any]:
        return {
            "schema": {"path": self.schema.path, "sha256": self.schema.sha256},
            "expectations": {"path": self.expectations.path,
                             "sha256": self.expectations.sha256},
            "matrix": {"path": self.matrix.path, "sha256": self.matrix.sha256,
                       "name": self.matrix.document.get("matrix")},
            "inspect_fields": {"path": self.inspect_fields.path,
                               "sha256": self.inspect_fields.sha256},
        }


def verify_bundle(bundle_dir: str, options: Options) -> Verdict:
    """Verify one bundle: always a Verdict. Raises DataError only when the collection's own data
    is unusable (misuse, not evidence)."""
    data = PolicyData(schema=load_schema(options.schema_path),
                      expectations=load_expectations(options.expectations_path),
                      matrix=load_matrix(options.matrix_path),
                      inspect_fields=load_inspect_fields(options.inspect_fields_path))
    # One clock reading: the times are checked against the moment the verdict names.
    verified_at = options.now or utc_now()
    try:
        return _judge(bundle_dir, options, data, verified_at)
    except DataError:
        raise
    except Exception as exc:
        return error_verdict(bundle_dir, data.context(), verified_at, exc)


def _judge(bundle_dir: str, options: Options, data: PolicyData, verified_at: str) -> Verdict:
    schema, expectations = data.schema, data.expectations
    matrix, inspect_fields = data.matrix, data.inspect_fields
    bundle = read_bundle(bundle_dir)
    evidence = load_evidence(bundle)
    # Both identities are required: most weakenings are invisible to a non-root user, so uid 0
    # runs the same probes (module_utils/_profile.IDENTITIES).
    identities = list(_profile.IDENTITIES)
    probe_outputs = outputs(evidence, identities)
    shipped: Shipped | None
    shipped_problem: str | None
    if options.shipped is not None:
        shipped, shipped_problem = options.shipped, None
    else:
        shipped, shipped_problem = shipped_artifacts(options.probe_path)
    findings = [
        _guard("schema", lambda: check_schema(evidence, schema.document, schema.sha256)),
        _guard("integrity", lambda: check_integrity(evidence)),
        _guard("provenance", lambda: check_provenance(
            evidence, identities, probe_outputs, shipped, shipped_problem,
            expectations.document)),
        _guard("venue", lambda: check_venue(evidence, options.venues, options.host)),
        _guard("signature", lambda: check_signature(evidence, options.venues, options.host)),
        _guard("profile", lambda: check_profile(evidence, expectations.document, identities)),
        _guard("inspect_fields", lambda: _inspect_fields.check_inspect_fields(
            evidence, identities, inspect_fields.document)),
        _guard("probes", lambda: check_probes(evidence, expectations.document, identities,
                                              probe_outputs)),
        _guard("cross_checks", lambda: check_cross(evidence, identities, probe_outputs)),
        _guard("non_mutation", lambda: check_non_mutation(evidence, identities)),
        _guard("run_records", lambda: check_run_records(evidence, identities)),
        _guard("run_times", lambda: check_run_times(evidence, identities, verified_at)),
        _guard("run_events", lambda: check_run_events(evidence, identities)),
        _guard("engine_facts", lambda: check_engine_facts(evidence, expectations.document)),
    ]
    by_name = {finding.name: finding for finding in findings}
    untrusted = bad_files(by_name["integrity"])
    rows = bind_matrix(matrix.document, by_name["probes"], by_name["profile"],
                       by_name["cross_checks"], identities, untrusted)
    status, gate, reasons = decide(findings, rows, bound_ids(matrix.document))

    run = evidence.doc("run.json")
    subjects = [{"name": path, "digest": {"sha256": entry.sha256}}
                for path, entry in sorted(bundle.entries.items())
                if entry.kind == KIND_FILE and entry.sha256
                and path.split("/", 1)[0] != VERIFICATION_DIR]
    context = blank_context(bundle_dir, data.context())
    context.update({
        "run_id": dig(run, "run_id"),
        "host": options.host or claimed_host(evidence),
        "claimed_host": claimed_host(evidence),
        "producer": dig(run, "producer"),
        "runtime": dig(run, "runtime"),
        "seccomp_profile": dig(run, "seccomp_profile"),
        "image_id": dig(run, "image_id"),
        "probe_sha256": dig(run, "probe_sha256"),
        "started_at": dig(run, "started_at"),
        "finished_at": dig(run, "finished_at"),
        "security_module": security_module(evidence.doc("engine/facts.json")),
        "identities": identities,
        "shipped": None if shipped is None else {
            "image_id": shipped.image_id, "probe_sha256": shipped.probe_sha256,
            "source": shipped.source},
        "shipped_problem": shipped_problem,
    })
    manifest = bundle.entries.get("manifest.json")
    context["manifest_sha256"] = manifest.sha256 if manifest is not None else None
    return Verdict(status=status, gate=gate, reasons=reasons, rows=rows, findings=findings,
                   context=context, subjects=subjects, verified_at=verified_at)
