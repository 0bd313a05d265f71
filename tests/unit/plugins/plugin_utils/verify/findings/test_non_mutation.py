"""Finding "non_mutation", as DESIGN classifies it."""

from __future__ import annotations

import copy

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)


def test_run_objects_created_and_gone(bundle, verify) -> None:
    finding = verify(bundle).finding("non_mutation")
    assert finding.outcome == "pass"
    assert finding.extra["churn"] == []


def test_pre_existing_changed_is_partial_with_events_cited(model, write_bundle, verify) -> None:
    after = model.docs["snapshots/after.json"]["containers"][0]
    after["config_sha256"] = eb.sha256(b"changed config")
    model.docs["engine/events.jsonl"].append({"time_nano": eb.BASE_NANO + 1, "type": "container",
                                              "action": "update", "id": after["id"],
                                              "name": "postgres"})
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    finding = verdict.finding("non_mutation")
    assert finding.outcome == "partial"
    change = finding.extra["changed"][0]
    assert change["name"] == "postgres" and "config_sha256" in change["change"]
    assert any("update" in event for event in change["events"])
    assert any("postgres" in reason and "update" in reason for reason in verdict.reasons)


def test_pre_existing_gone_is_partial(model, write_bundle, verify) -> None:
    model.docs["snapshots/after.json"]["volumes"] = []
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("pgdata" in reason and "gone" in reason for reason in verdict.reasons)


def test_churn_is_listed_and_does_not_block(model, write_bundle, verify) -> None:
    after = model.docs["snapshots/after.json"]
    newcomer = eb.sha256(b"newcomer")
    after["containers"].append({
        "id": newcomer, "name": "cron-job", "image": "busybox", "image_id": "sha256:" + "1" * 64,
        "state": "running", "started_at": "2026-11-28T22:31:34Z", "restart_count": 0,
        "run_id": None, "config_sha256": eb.sha256(b"cron")})
    # It joins the default bridge: the bridge is not "changed" by a newcomer.
    after["networks"][0]["containers"].append(newcomer)
    events = model.docs["engine/events.jsonl"]
    events.append({"time_nano": eb.BASE_NANO + 2, "type": "container", "action": "create",
                   "id": eb.sha256(b"gone"), "name": "short-lived"})
    # The newcomer's own engine calls are in the log, as on a real host.
    for nano, kind, action, ident, name, container in (
            (3, "container", "create", newcomer, "cron-job", None),
            (4, "network", "connect", after["networks"][0]["id"], "bridge", newcomer),
            (5, "container", "start", newcomer, "cron-job", None)):
        events.append({"time_nano": eb.BASE_NANO + nano, "type": kind, "action": action,
                       "id": ident, "name": name, "container": container})
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    churn = verdict.finding("non_mutation").extra["churn"]
    assert any("cron-job" in item for item in churn)
    assert any("short-lived" in item for item in churn)


def test_run_container_left_behind_is_partial(model, write_bundle, verify) -> None:
    cid = eb.container_id("root")
    model.docs["snapshots/after.json"]["containers"].append({
        "id": cid, "name": "sandbox-attest-%s-root" % eb.RUN_ID, "image": model.image_id,
        "image_id": model.image_id, "state": "exited", "started_at": "2026-11-28T22:31:32Z",
        "restart_count": 0, "run_id": eb.RUN_ID, "config_sha256": eb.sha256(b"x")})
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("left behind" in reason for reason in verdict.reasons)


def test_no_destroy_event_fails_the_runs_events(model, write_bundle, verify) -> None:
    # The run removed its containers (result.json says so): a log without the removal is not
    # the log of this run (issue 12: every departure from what the run implies fails).
    model.docs["engine/events.jsonl"] = [e for e in model.docs["engine/events.jsonl"]
                                         if e["action"] != "destroy"]
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert {"non_mutation", "run_events"} <= set(verdict.failed_finding_names())


def _load_probe_image(model) -> None:
    """The probe image absent before the run, and its `docker load` in the log, as the engine
    logs one (measured: the image ID as actor and name)."""
    before = model.docs["snapshots/before.json"]
    before["images"] = [i for i in before["images"] if not i["probe_image"]]
    model.docs["engine/events.jsonl"].insert(0, {
        "time_nano": eb.BASE_NANO + 1, "type": "image", "action": "load", "id": model.image_id,
        "name": model.image_id, "container": None, "exec_id": None, "command_sha256": None})


def test_probe_image_loaded_is_not_churn(model, write_bundle, verify) -> None:
    _load_probe_image(model)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY
    finding = verdict.finding("non_mutation")
    assert finding.extra["churn"] == [] and finding.extra["probe_image"] == model.image_id


@pytest.mark.parametrize("edit", ["no load event", "two load events", "load of a present image",
                                  "another action"])
def test_probe_image_events_are_its_one_load(edit: str, model, write_bundle, verify) -> None:
    # The run loads the probe image once, and only when it is absent: a probe image that
    # appeared without its load, or events of it the run does not make, are not explained.
    _load_probe_image(model)
    events = model.docs["engine/events.jsonl"]
    if edit == "no load event":
        del events[0]
    elif edit == "two load events":
        events.insert(1, {**events[0], "time_nano": events[0]["time_nano"] + 1})
    elif edit == "load of a present image":
        model.docs["snapshots/before.json"]["images"] = copy.deepcopy(
            model.docs["snapshots/after.json"]["images"])
    else:
        events[0]["action"] = "tag"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL, verdict.reasons
    assert any(c.id == "probe_image_events" and c.outcome == "partial"
               for c in verdict.finding("non_mutation").checks)


def test_missing_snapshots_are_never_pass(model, write_bundle, verify) -> None:
    del model.docs["snapshots/after.json"]
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert verdict.finding("non_mutation").outcome == "missing"


def test_a_newcomer_without_an_event_is_partial(model, write_bundle, verify) -> None:
    # Every new object is made by an engine call the window's log records: one without is not
    # churn but a snapshot the log does not explain.
    model.docs["snapshots/before.json"]["volumes"] = []
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("pgdata appeared" in reason for reason in verdict.reasons)


def test_a_loaded_probe_image_is_the_runs_as_the_collection_tags_it(model, write_bundle,
                                                                    verify) -> None:
    before = model.docs["snapshots/before.json"]
    before["images"] = [i for i in before["images"] if not i["probe_image"]]
    probe = next(i for i in model.docs["snapshots/after.json"]["images"] if i["probe_image"])
    probe["tags"].append("latest")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "non_mutation", "probe_image")


def _short_lived_churn(model, events: int) -> None:
    """Other work on the host during the window: short-lived containers, create and destroy."""
    log = model.docs["engine/events.jsonl"]
    for number in range(events // 2):
        ident = eb.sha256(b"short-lived %d" % number)
        for offset, action in enumerate(("create", "destroy")):
            log.append({"time_nano": eb.BASE_NANO + 1000 * number + offset, "type": "container",
                        "action": action, "id": ident, "name": "job-%d" % number,
                        "container": None, "exec_id": None, "command_sha256": None})
    log.sort(key=lambda event: event["time_nano"])


def test_an_event_log_as_long_as_the_engine_replays_is_partial(model, write_bundle, verify) -> None:
    """`docker events --since` gives back at most the engine's last 256 events: a log of 256
    may have lost the window's oldest, an exec into a host container among them."""
    _short_lived_churn(model, 256 - len(model.docs["engine/events.jsonl"]))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("256 events" in reason and "may be lost" in reason for reason in verdict.reasons)


def test_a_busy_window_below_the_replay_limit_is_not_blocked(model, write_bundle, verify) -> None:
    _short_lived_churn(model, 254 - len(model.docs["engine/events.jsonl"]))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons


def test_a_followed_log_longer_than_the_replay_limit_is_whole(model, write_bundle,
                                                              verify) -> None:
    """The automated path follows the log live: only what the engine replayed can be cut."""
    _short_lived_churn(model, 400 - len(model.docs["engine/events.jsonl"]))
    model.docs["run.json"]["events_replayed"] = 12
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons


def test_a_followed_log_with_as_many_replayed_as_the_engine_replays_is_partial(
        model, write_bundle, verify) -> None:
    _short_lived_churn(model, 400 - len(model.docs["engine/events.jsonl"]))
    model.docs["run.json"]["events_replayed"] = 256
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert any("256 events the engine replayed" in reason for reason in verdict.reasons)


def test_more_replayed_events_than_the_log_holds_is_failed(model, write_bundle, verify) -> None:
    model.docs["run.json"]["events_replayed"] = len(model.docs["engine/events.jsonl"]) + 1
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_events", "events")


def test_a_cut_log_missing_the_runs_first_events_is_partial_not_failed(
        model, write_bundle, verify) -> None:
    """What a busy host gives: the engine replays its last 256 events, the run's first ones
    (a create, a connect) fell out of the buffer. Insufficient evidence, not a departure."""
    log = model.docs["engine/events.jsonl"]
    del log[:2]
    _short_lived_churn(model, 256 - len(log))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL, verdict.reasons
    assert verdict.finding("run_events").outcome == "partial"


def test_a_short_log_missing_the_runs_first_events_is_failed(
        model, write_bundle, verify) -> None:
    del model.docs["engine/events.jsonl"][:2]
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED, verdict.reasons
