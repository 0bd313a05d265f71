"""Each status, exactly as DESIGN defines it, with every reason listed."""

from __future__ import annotations

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    GATE_BLOCKED,
    GATE_UNBLOCKED,
    ROW_NOT_RUN,
    ROW_PASS,
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)


def test_clean_bundle_on_pinned_approved_venue_is_ready(bundle, verify) -> None:
    verdict = verify(bundle)
    assert verdict.status == STATUS_READY
    assert verdict.gate == GATE_UNBLOCKED
    assert verdict.reasons == []
    assert [row.row for row in verdict.rows] == list(range(24, 38))
    assert all(row.result == ROW_PASS for row in verdict.rows)
    assert verdict.failed_finding_names() == []


def test_every_row_cites_evidence_for_both_identities(bundle, verify) -> None:
    for row in verify(bundle).rows:
        assert any(ref.startswith("identities/workload/") for ref in row.refs), row.row
        assert any(ref.startswith("identities/root/") for ref in row.refs), row.row


def test_rehearsal_venue_is_partial_with_exactly_one_reason(bundle, verify) -> None:
    verdict = verify(bundle, approved_venues={}, rehearsal=[eb.HOST])
    assert verdict.status == STATUS_PARTIAL
    assert verdict.gate == GATE_BLOCKED
    assert verdict.reasons == ["rehearsal venue"]
    assert all(row.result == ROW_PASS for row in verdict.rows)


def test_rehearsal_wins_even_when_pinned_and_matching(bundle, verify) -> None:
    verdict = verify(bundle, rehearsal=[eb.HOST])
    assert (verdict.status, verdict.reasons) == (STATUS_PARTIAL, ["rehearsal venue"])


def test_unpinned_approved_venue_is_partial(bundle, verify) -> None:
    verdict = verify(bundle, approved_venues={eb.HOST: {"fingerprint": None,
                                                        "host_key": eb.host_key()[1]}})
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unpinned venue"]
    # Neither pin: each says so.
    verdict = verify(bundle, approved_venues={eb.HOST: {"fingerprint": None}})
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unpinned venue", "no venue host key pinned"]


def test_unapproved_venue_is_partial(bundle, verify) -> None:
    verdict = verify(bundle, approved_venues={"another-host": {"fingerprint": eb.FINGERPRINT}})
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["unapproved venue"]


def test_rows_not_run_are_partial(model, write_bundle, verify) -> None:
    # The root identity never ran: its rows have no evidence, which is never PASS.
    for name in list(model.docs):
        if name.startswith("identities/root/"):
            del model.docs[name]
    for name in list(model.raw):
        if name.startswith("identities/root/"):
            del model.raw[name]
    del model.probes["root"]
    model.docs["run.json"]["identities"] = ["workload"]
    model.docs["engine/events.jsonl"] = [
        e for e in model.docs["engine/events.jsonl"] if not e["name"].endswith("-root")]
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert all(row.result == ROW_NOT_RUN for row in verdict.rows)
    assert any(reason.startswith("row 24 NOT_RUN") for reason in verdict.reasons)


def test_truncated_probe_output_is_partial_not_failed(model, write_bundle, verify) -> None:
    # The probe died after PR-FS-OUT-OK: no END trailer; what is there held.
    lines = model.probes["workload"]
    model.probes["workload"] = lines[:9]
    model.docs["identities/workload/result.json"]["exit_code"] = 137
    model.inspect("workload")["State"]["ExitCode"] = 137
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    results = {row.row: row.result for row in verdict.rows}
    assert results[30] == ROW_PASS and results[36] == ROW_NOT_RUN


def test_failed_boundary_is_failed_with_its_row(model, write_bundle, verify) -> None:
    model.observation("root", "PR-PTRACE-1", "ptrace_attach").update(ret=0, errno=None)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert verdict.gate == GATE_BLOCKED
    row36 = next(row for row in verdict.rows if row.row == 36)
    assert row36.result == "FAIL"
    assert any("row 36 FAIL" in reason for reason in verdict.reasons)


def test_failed_lists_partial_reasons_too(model, write_bundle, verify) -> None:
    model.observation("root", "PR-MOUNT-1", "mount").update(ret=0, errno=None)
    verdict = verify(write_bundle(model), approved_venues={}, rehearsal=[eb.HOST])
    assert verdict.status == STATUS_FAILED
    assert "rehearsal venue" in verdict.reasons
    assert any(reason.startswith("row 34 FAIL") for reason in verdict.reasons)


def test_packet_path_can_be_ready_but_says_so(probe_path, digests, write_bundle, verify) -> None:
    model = eb.make_model(probe_path, *digests, path="packet")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY
    assert verdict.context["producer"]["path"] == "packet"


def test_default_deny_profile_is_ready_too(probe_path, digests, write_bundle, verify) -> None:
    model = eb.make_model(probe_path, *digests, seccomp_name="default-deny")
    assert verify(write_bundle(model)).status == STATUS_READY
