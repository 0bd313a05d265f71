"""A bundle made with probe 1.0.0 (before issue 14) is refused with the version named:
PARTIAL, never READY, and never FAILED for that alone (its lines are not judged)."""

from __future__ import annotations

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    PARTIAL,
    ROW_FAIL,
    STATUS_PARTIAL,
)

OLD_IMAGE = "sha256:66046597ca4315f35cd5e212883a9e504a9d8dca339226ae711dd2377fe092b7"
OLD_SHA = "97efcbf66d45792d1765f1174070b20673616846165e182e01429ad1e3573c15"


def _old_model(probe_path: str) -> eb.EvidenceModel:
    model = eb.make_model(probe_path, OLD_IMAGE, OLD_SHA)
    for identity in model.probes:
        cid = model.inspect(identity)["Id"]
        model.probes[identity] = eb.probe_lines(identity, cid, OLD_SHA, "probe-1.0.0")
    return model


def test_a_bundle_of_probe_1_0_0_is_refused_naming_it(probe_path, write_bundle,
                                                      verify) -> None:
    verdict = verify(write_bundle(_old_model(probe_path)))
    assert verdict.status == STATUS_PARTIAL
    assert any("sandbox-probe 1.0.0" in reason and "refused" in reason
               for reason in verdict.reasons)
    assert not [row.row for row in verdict.rows if row.result == ROW_FAIL]
    shipped = {c.id: c.outcome for c in verdict.finding("provenance").checks
               if c.id in ("image_shipped", "probe_shipped")}
    assert shipped == {"image_shipped": PARTIAL, "probe_shipped": PARTIAL}


def test_another_unknown_probe_still_fails(probe_path, write_bundle, verify) -> None:
    model = _old_model(probe_path)
    model.docs["run.json"]["probe_sha256"] = "ab" * 32
    verdict = verify(write_bundle(model))
    outcomes = {c.outcome for c in verdict.finding("provenance").checks
                if c.id == "probe_shipped"}
    assert outcomes == {"fail"}
