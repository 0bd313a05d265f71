"""Host activity (docs/host-activity.md): a pre-existing container's own lifecycle is listed and
does not block READY; every other change or event on a pre-existing object keeps the run
PARTIAL with its events cited."""

from __future__ import annotations

from typing import Any

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)

HEALTH = eb.sha256(b"pg_isready\n")
OTHER = eb.sha256(b"cat /etc/secret\n")
NANO = eb.BASE_NANO + 1_000_000


def _postgres(model: eb.EvidenceModel, snapshot: str) -> dict[str, Any]:
    return model.docs["snapshots/%s.json" % snapshot]["containers"][0]


def _bridge(model: eb.EvidenceModel, snapshot: str) -> dict[str, Any]:
    return model.docs["snapshots/%s.json" % snapshot]["networks"][0]


def _event(model: eb.EvidenceModel, action: str, *, kind: str = "container",
           ident: str | None = None, name: str = "postgres", container: str | None = None,
           exec_id: str | None = None, command: str | None = None) -> None:
    model.docs["engine/events.jsonl"].append({
        "time_nano": NANO + len(model.docs["engine/events.jsonl"]), "type": kind,
        "action": action, "id": ident or _postgres(model, "before")["id"], "name": name,
        "container": container, "exec_id": exec_id, "command_sha256": command})


def _restarts(model: eb.EvidenceModel, count: int, *, dies: int | None = None,
              policy: str = "always", network: bool = True) -> None:
    before, after = _postgres(model, "before"), _postgres(model, "after")
    for snap in (before, after):
        snap["restart_policy"] = policy
    # As the engine counts: one per die that decided a restart (daemon/monitor.go).
    after["restart_count"] = before["restart_count"] + (count if dies is None else dies)
    after["started_at"] = "2026-11-28T22:31:34.5Z"
    cid = before["id"]
    for dummy in range(count if dies is None else dies):
        _event(model, "die")
        if network:
            _event(model, "disconnect", kind="network", ident=_bridge(model, "before")["id"],
                   name="bridge", container=cid)
    for dummy in range(count):
        if network:
            _event(model, "connect", kind="network", ident=_bridge(model, "before")["id"],
                   name="bridge", container=cid)
        _event(model, "start")


def _health_execs(model: eb.EvidenceModel, command: str = HEALTH, die: bool = True) -> None:
    for n in range(2):
        exec_id = "e%063d" % n
        _event(model, "exec_create", exec_id=exec_id, command=command)
        _event(model, "exec_start", exec_id=exec_id, command=command)
        if die:
            _event(model, "exec_die", exec_id=exec_id)
    _event(model, "health_status")


def _crash_loop_left_restarting(model: eb.EvidenceModel) -> None:
    _restarts(model, 2, dies=3)
    after = _postgres(model, "after")
    after["state"] = "restarting"
    bridge = _bridge(model, "after")
    bridge["containers"] = [c for c in bridge["containers"] if c != after["id"]]


def _retry_limit_reached(model: eb.EvidenceModel) -> None:
    _restarts(model, 1, dies=2, policy="on-failure")
    after = _postgres(model, "after")
    after["restart_count"] -= 1
    after["state"] = "exited"


def _exited_under_always(model: eb.EvidenceModel) -> None:
    _restarts(model, 0, dies=1)
    after = _postgres(model, "after")
    after["restart_count"] -= 1
    after["state"] = "exited"


def _start_decided_before(model: eb.EvidenceModel) -> None:
    _restarts(model, 1, dies=0)
    _postgres(model, "after")["state"] = "running"


def _docker_exec(model: eb.EvidenceModel) -> None:
    _health_execs(model, command=OTHER)


def _exec_without_health_check(model: eb.EvidenceModel) -> None:
    for snap in ("before", "after"):
        _postgres(model, snap)["health_cmd_sha256"] = None
    _health_execs(model)


def _exec_die_of_unknown_exec(model: eb.EvidenceModel) -> None:
    _event(model, "exec_die", exec_id="f" * 64)


def _exec_die_without_health_check(model: eb.EvidenceModel) -> None:
    for snap in ("before", "after"):
        _postgres(model, snap)["health_cmd_sha256"] = None
    _exec_die_of_unknown_exec(model)


AFTER_STARTS, AFTER_ENDS = 100_000_000, 101_000_000


def _timed(model: eb.EvidenceModel, *actions: tuple[str, int]) -> None:
    """Snapshots at known times (ns into the run window), and lifecycle events at the given
    ones."""
    before, after = (model.docs["snapshots/%s.json" % name] for name in ("before", "after"))
    # The run's own events (eb.BASE_NANO + 7 to 84 ms) lie between the snapshots.
    before.update(started_ns=eb.BASE_NANO + 1_000, finished_ns=eb.BASE_NANO + 2_000)
    after.update(started_ns=eb.BASE_NANO + AFTER_STARTS, finished_ns=eb.BASE_NANO + AFTER_ENDS)
    for snap in (_postgres(model, "before"), _postgres(model, "after")):
        snap["restart_policy"] = "always"
    _postgres(model, "after").update(restart_count=1, started_at="2026-11-28T22:31:34.5Z")
    for action, nano in actions:
        model.docs["engine/events.jsonl"].append({
            "time_nano": eb.BASE_NANO + nano, "type": "container", "action": action,
            "id": _postgres(model, "before")["id"], "name": "postgres", "container": None,
            "exec_id": None, "command_sha256": None})


def _crash_loop_across_the_snapshots(model: eb.EvidenceModel) -> None:
    # Measured on a test host: start, die, start, die, with RestartCount 7 -> 8: the first
    # start happened before the first snapshot and the last die while the second one ran.
    _timed(model, ("start", 500), ("die", 3_000), ("start", 5_000),
           ("die", AFTER_STARTS + 500))


def _edge_dies_inside(model: eb.EvidenceModel) -> None:
    _timed(model, ("die", 3_000), ("start", 4_000), ("die", 5_000), ("start", 6_000))


def _restart_without_policy(model: eb.EvidenceModel) -> None:
    _restarts(model, 1, policy="no")


def _restart_count_mismatch(model: eb.EvidenceModel) -> None:
    _restarts(model, 3)
    _postgres(model, "after")["restart_count"] = 1


def _starts_far_from_dies(model: eb.EvidenceModel) -> None:
    _restarts(model, 1)
    _event(model, "start")
    _event(model, "start")


def _lifecycle_events_without_change(model: eb.EvidenceModel) -> None:
    _event(model, "die")
    _event(model, "start")


def _snapshot_change_without_events(model: eb.EvidenceModel) -> None:
    for snap in ("before", "after"):
        _postgres(model, snap)["restart_policy"] = "always"
    _postgres(model, "after")["restart_count"] = 1


def _named_by_the_run(model: eb.EvidenceModel) -> None:
    _restarts(model, 1)
    model.docs["identities/workload/result.json"]["commands"].append(
        ["docker", "restart", _postgres(model, "before")["id"]])


def _config_changed_with_restarts(model: eb.EvidenceModel) -> None:
    _restarts(model, 1)
    _postgres(model, "after")["config_sha256"] = eb.sha256(b"updated")


def _network_member_gone_without_lifecycle(model: eb.EvidenceModel) -> None:
    cid = _postgres(model, "before")["id"]
    _bridge(model, "after")["containers"] = []
    _event(model, "disconnect", kind="network", ident=_bridge(model, "before")["id"],
           name="bridge", container=cid)


def _action(name: str):
    if name.startswith("exec_"):
        # Someone's exec, as the template prints it: its exec ID and its command's digest.
        return lambda m: _event(m, name, exec_id="e" * 64, command=eb.sha256(b"sh\n"))
    return lambda m: _event(m, name)


HOST_ACTIVITY = {
    "health-check execs and health_status": _health_execs,
    "restarts under a restart policy": lambda m: _restarts(m, 3),
    "restarts under on-failure": lambda m: _restarts(m, 1, policy="on-failure"),
    "on-failure's retry limit reached": _retry_limit_reached,
    "crash loop left restarting, off its network": _crash_loop_left_restarting,
    "a restart decided before the window starts in it": _start_decided_before,
    "an exec_die of a health exec begun before the window": _exec_die_of_unknown_exec,
    "a crash loop across the snapshots' edges": _crash_loop_across_the_snapshots,
    "restart and health check together": lambda m: (_restarts(m, 2), _health_execs(m)),
}


BLOCKING = {
    "docker exec (another command)": _docker_exec,
    "exec events on a container without a health check": _exec_without_health_check,
    "exec_die without a health check": _exec_die_without_health_check,
    "crash loop with more dies than the snapshots allow": _edge_dies_inside,
    "restarts without a restart policy": _restart_without_policy,
    "dies not matching RestartCount": _restart_count_mismatch,
    "exited under an always policy": _exited_under_always,
    "more starts than dies and a pending restart": _starts_far_from_dies,
    "die/start with no snapshot change": _lifecycle_events_without_change,
    "RestartCount changed with no events": _snapshot_change_without_events,
    "configuration changed along with restarts": _config_changed_with_restarts,
    "network member gone without its container's lifecycle": _network_member_gone_without_lifecycle,
    **{"%s event" % action: _action(action)
       for action in ("restart", "kill", "stop", "pause", "unpause", "update", "rename",
                      "exec_start", "attach", "commit", "export", "top")},
}


@pytest.mark.parametrize("case", sorted(HOST_ACTIVITY))
def test_own_lifecycle_is_listed_and_ready(case: str, model, write_bundle, verify) -> None:
    HOST_ACTIVITY[case](model)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    finding = next(f for f in verdict.findings if f.name == "non_mutation")
    assert [a["name"] for a in finding.extra["host_activity"] if a["kind"] == "container"] == [
        "postgres"]
    assert finding.extra["changed"] == []
    assert any(check.id == "host_activity" for check in finding.checks)


@pytest.mark.parametrize("case", sorted(BLOCKING))
def test_anything_else_keeps_the_run_partial(case: str, model, write_bundle, verify) -> None:
    BLOCKING[case](model)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert "non_mutation" in verdict.failed_finding_names()
    finding = next(f for f in verdict.findings if f.name == "non_mutation")
    assert finding.extra["changed"], "the change is listed with its events"


def test_a_new_container_joining_a_network_is_churn(model, write_bundle, verify) -> None:
    newcomer = eb.sha256(b"a container made during the window")
    after = model.docs["snapshots/after.json"]
    after["containers"].append({**_postgres(model, "after"), "id": newcomer, "name": "web"})
    _bridge(model, "after")["containers"].append(newcomer)
    _event(model, "create", ident=newcomer, name="web")
    _event(model, "connect", kind="network", ident=_bridge(model, "before")["id"],
           name="bridge", container=newcomer)
    _event(model, "start", ident=newcomer, name="web")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    finding = next(f for f in verdict.findings if f.name == "non_mutation")
    assert finding.extra["churn"] == ["container web"]


def test_a_restart_named_by_the_runs_commands_fails(model, write_bundle, verify) -> None:
    # The run's command list is recomputed whole (issue 12): a `docker restart` of another
    # container is no command of this run, and never host activity.
    _named_by_the_run(model)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "run_records", "result_record")
    assert verdict.finding("non_mutation").outcome != "pass"
