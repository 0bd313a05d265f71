"""Issue 12's snapshot and event classes: events on a pre-existing container whose snapshots are
equal, an object listed twice, a leftover of this run under another form of its ID."""

from __future__ import annotations

import copy

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
)

AFTER = "snapshots/after.json"


def _postgres_event(model: eb.EvidenceModel, action: str, ident: str | None = None,
                    **fields) -> None:
    postgres = model.docs["snapshots/before.json"]["containers"][0]
    model.docs["engine/events.jsonl"].append({
        "time_nano": eb.BASE_NANO + 500_000_000, "type": "container", "action": action,
        "id": ident or postgres["id"], "name": "postgres", "container": None, "exec_id": None,
        "command_sha256": None, **fields})


@pytest.mark.parametrize("action", ["kill", "die", "start"])
def test_lifecycle_events_on_an_unchanged_pre_existing_container(action, model, write_bundle,
                                                                 verify) -> None:
    _postgres_event(model, action)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("postgres changed" in reason for reason in verdict.reasons)


def test_an_exec_start_on_an_unchanged_pre_existing_container(model, write_bundle,
                                                              verify) -> None:
    _postgres_event(model, "exec_start", exec_id="e" * 64, command_sha256=eb.sha256(b"sh\n"))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("postgres changed" in reason for reason in verdict.reasons)


@pytest.mark.parametrize("form", ["upper", "short"])
def test_an_event_under_another_form_of_an_id_is_not_the_engines(form, model, write_bundle,
                                                                 verify) -> None:
    postgres = model.docs["snapshots/before.json"]["containers"][0]["id"]
    _postgres_event(model, "kill", postgres.upper() if form == "upper" else postgres[:12])
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_events", "events")


@pytest.mark.parametrize("kind", ["containers", "networks", "volumes", "images"])
def test_an_after_snapshot_listing_an_object_twice(kind, model, write_bundle, verify) -> None:
    listing = model.docs[AFTER][kind]
    twin = copy.deepcopy(listing[0])
    if kind == "containers":
        twin["state"] = "exited"  # last-wins would have hidden the change
    listing.append(twin)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "non_mutation", "snapshot_listing")


@pytest.mark.parametrize("form", ["upper", "short"])
def test_a_leftover_of_this_run_under_another_id_form_is_not_churn(form, model, write_bundle,
                                                                   verify) -> None:
    cid = eb.container_id("workload")
    model.docs[AFTER]["containers"].append({
        "id": cid.upper() if form == "upper" else cid[:12], "name": "renamed",
        "image": "x", "image_id": model.image_id, "state": "exited",
        "started_at": "2026-11-28T22:31:32Z", "restart_count": 0, "restart_policy": "no",
        "run_id": None, "config_sha256": eb.sha256(b"x"), "health_cmd_sha256": None})
    verdict = verify(write_bundle(model))
    assert verdict.status != "SANDBOX_ATTESTED_READY"
    finding = verdict.finding("non_mutation")
    assert not finding.extra["churn"]
    assert any(c.id == "run_objects_gone" and c.outcome == "partial" for c in finding.checks)


def test_the_two_snapshots_of_one_run_have_one_format(model, write_bundle, verify) -> None:
    model.docs[AFTER]["format"] = 1
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "non_mutation", "snapshot_listing")
