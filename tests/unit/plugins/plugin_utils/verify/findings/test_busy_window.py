"""Issue 12's busy windows: a real lived-in host's run window (tests/unit/churn_capture.py)
verifies READY with its host activity listed, and each single edit of another object's events
or snapshot entries that the engine could not have logged is caught — FAILED where it
contradicts the evidence, PARTIAL where it leaves host activity unexplained.

A consistent forgery (every document edited together, manifest recomputed) cannot be caught
without signed evidence (issue 17); these are the inconsistent ones."""

from __future__ import annotations

from typing import Any

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)

BEFORE, AFTER, EVENTS = "snapshots/before.json", "snapshots/after.json", "engine/events.jsonl"
CRASH_LOOP = "lived-in-67f3d2ae-crash-loop-15"
WEB = "lived-in-67f3d2ae_web_1"


def _container(model: eb.EvidenceModel, snapshot: str, name: str) -> dict[str, Any]:
    return next(c for c in model.docs[snapshot]["containers"] if c["name"] == name)


def _network(model: eb.EvidenceModel, snapshot: str, name: str) -> dict[str, Any]:
    return next(n for n in model.docs[snapshot]["networks"] if n["name"] == name)


def _events(model: eb.EvidenceModel, name: str, action: str) -> list[dict[str, Any]]:
    return [e for e in model.docs[EVENTS] if e["name"] == name and e["action"] == action]


def _changed(verdict: Any) -> list[str]:
    return [c["name"] for c in verdict.finding("non_mutation").extra["changed"]]


def _partial(verdict: Any, check: str) -> bool:
    return verdict.status == STATUS_PARTIAL and any(
        c.id == check and c.outcome == "partial" for c in verdict.finding("non_mutation").checks)


def test_the_busy_window_is_ready_with_its_host_activity_listed(churn_model, write_bundle,
                                                                verify) -> None:
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_READY, verdict.reasons
    finding = verdict.finding("non_mutation")
    assert sorted(a["name"] for a in finding.extra["host_activity"]) == sorted([
        "lived-in-67f3d2ae-unhealthy-17", WEB, CRASH_LOOP, "lived-in-67f3d2ae-healthy-16",
        "bridge"])
    assert finding.extra["changed"] == [] and finding.extra["churn"] == []


def test_an_exec_id_edited_in_one_event_is_not_a_health_check(churn_model, write_bundle,
                                                              verify) -> None:
    _events(churn_model, WEB, "exec_start")[1]["exec_id"] = "f" * 64
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert _changed(verdict) == [WEB]


def test_an_exec_die_before_its_start_is_not_a_health_check(churn_model, write_bundle,
                                                            verify) -> None:
    start, die = _events(churn_model, WEB, "exec_start")[1], _events(churn_model, WEB,
                                                                     "exec_die")[1]
    start["time_nano"], die["time_nano"] = die["time_nano"], start["time_nano"]
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert _changed(verdict) == [WEB]


def test_an_exec_of_another_command_is_not_a_health_check(churn_model, write_bundle,
                                                          verify) -> None:
    _events(churn_model, WEB, "exec_create")[2]["command_sha256"] = eb.sha256(b"sh\n")
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert _changed(verdict) == [WEB]


def test_an_event_under_another_name_of_its_container(churn_model, write_bundle, verify) -> None:
    _events(churn_model, WEB, "exec_die")[0]["name"] = "another"
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert _changed(verdict) == [WEB]


def test_an_event_of_a_container_neither_snapshot_lists(churn_model, write_bundle,
                                                        verify) -> None:
    # Its ID edited: the event is now of no container the engine had, and no longer WEB's.
    _events(churn_model, WEB, "exec_create")[0]["id"] = "e" * 64
    verdict = verify(write_bundle(churn_model))
    assert _partial(verdict, "unlisted")


def test_a_membership_event_of_an_unlisted_container(churn_model, write_bundle,
                                                     verify) -> None:
    connect = next(e for e in churn_model.docs[EVENTS] if e["action"] == "connect"
                   and e["name"] == "bridge")
    connect["container"] = "d" * 64
    verdict = verify(write_bundle(churn_model))
    assert _partial(verdict, "unlisted")


def test_a_network_member_change_follows_only_a_restart(churn_model, write_bundle,
                                                        verify) -> None:
    # WEB ran health checks, but never left its network: the engine did not change it.
    _network(churn_model, BEFORE, "lived-in-67f3d2ae_default")["containers"] = []
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert _changed(verdict) == ["lived-in-67f3d2ae_default"]


def test_a_restart_from_a_state_the_engine_does_not_restart_from(churn_model, write_bundle,
                                                                 verify) -> None:
    _container(churn_model, BEFORE, CRASH_LOOP)["state"] = "exited"
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert CRASH_LOOP in _changed(verdict)


def test_a_crash_loop_whose_restart_count_did_not_change(churn_model, write_bundle,
                                                         verify) -> None:
    _container(churn_model, AFTER, CRASH_LOOP)["restart_count"] = 7
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert CRASH_LOOP in _changed(verdict)


def test_a_restart_without_its_die(churn_model, write_bundle, verify) -> None:
    churn_model.docs[EVENTS].remove(_events(churn_model, CRASH_LOOP, "die")[0])
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_PARTIAL
    assert CRASH_LOOP in _changed(verdict)


def test_a_container_state_the_engine_does_not_report(churn_model, write_bundle,
                                                      verify) -> None:
    _container(churn_model, BEFORE, CRASH_LOOP)["state"] = "restartinh"
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "non_mutation", "snapshot_listing")


def test_an_image_digest_that_is_not_its_id(churn_model, write_bundle, verify) -> None:
    image = churn_model.docs[AFTER]["images"][0]
    image["config_sha256"] = eb.sha256(b"another configuration")
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "non_mutation", "snapshot_listing")


def test_a_run_event_outside_the_snapshots(churn_model, write_bundle, verify) -> None:
    # The first snapshot does not list this run's containers: it finished before they were
    # created. A clock that says otherwise contradicts the log.
    first = next(e for e in churn_model.docs[EVENTS] if e["action"] == "create")
    churn_model.docs[BEFORE]["finished_ns"] = first["time_nano"] + 1
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_times", "times")


def test_a_foreign_event_moved_onto_this_runs_container(churn_model, write_bundle,
                                                        verify) -> None:
    die = _events(churn_model, CRASH_LOOP, "die")[0]
    die["id"], die["name"] = eb.container_id("workload"), "sandbox-attest-%s-workload" % eb.RUN_ID
    verdict = verify(write_bundle(churn_model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_events", "events")
