"""The collection's modules with `runtime: podman` (issue 18), each run in a Podman test host as
Ansible runs a module (tests/integration/podman_host.py): the probe image loaded and found by
its ID, both identities' runs through sandbox_run judged against runtimes.podman, the snapshot
and the event log of the window (read once and followed), a run's cleanup by its label, and
the engine's facts. The roles and settings do not offer Podman yet; these are the parts they
will call."""

from __future__ import annotations

import json
import time

import pytest
from podman_host import PodmanHost
from probe_judge import failing, judge

from ansible_collections.sandbox.attest.plugins.module_utils._profile import LABEL_RUN_ID

RUN_ROOT = "/var/lib/sandbox-attest"
ARCHIVE = "/attest/probe-image.tar"
PODMAN = {"engine_cli": "podman", "runtime": "podman"}


@pytest.fixture(scope="module")
def host(podman_host: PodmanHost) -> PodmanHost:
    podman_host.put(ARCHIVE, podman_host.probe.archive)
    return podman_host


def test_probe_image_is_found_by_its_id_removed_and_loaded(host: PodmanHost) -> None:
    image_id = host.probe.image_id
    # Loaded by the host's set-up: found by its ID (Podman prints it without `sha256:`).
    assert host.module("probe_image", image_id=image_id, present_only=True,
                       **PODMAN)["present"] is True
    removed = host.module("probe_image", state="absent", **PODMAN)
    assert removed["removed"] == [image_id] and removed["kept_in_use"] == []
    assert host.module("probe_image", image_id=image_id, present_only=True,
                       **PODMAN)["present"] is False
    loaded = host.module("probe_image", image_id=image_id, archive=ARCHIVE, **PODMAN)
    assert loaded["loaded"] and loaded["command"] == ["podman", "load", "--input", ARCHIVE]
    assert host.module("probe_image", image_id=image_id, present_only=True,
                       **PODMAN)["present"] is True
    # Under its own tag, in Podman's localhost/ namespace.
    tags = host.exec("podman", "image", "inspect", "--format", "{{.RepoTags}}",
                     image_id).stdout.decode()
    assert "localhost/%s" % host.probe.tag in tags


@pytest.mark.parametrize("identity", ["workload", "root"])
def test_sandbox_run_runs_the_hardened_profile_under_podman(host: PodmanHost,
                                                            identity: str) -> None:
    run_id = "20260101T000000Z-%08x" % (0xA0 + len(identity))
    result = host.module("sandbox_run", run_id=run_id, identity=identity,
                         image_id=host.probe.image_id, run_root=RUN_ROOT, **PODMAN)
    assert not result.get("failed"), result.get("msg")
    assert result["exit_code"] == 0 and result["removed"] and not result["timed_out"]
    assert result["profile"]["runtime"] == "podman" and result["profile"]["dns"] == []
    assert result["argv"][:2] == ["podman", "create"] and "--dns" not in result["argv"]
    assert [c[1] for c in result["commands"]] == ["create", "start", "wait", "logs", "inspect",
                                                  "rm", "container"]
    lines = {line["probe"]: line for line in map(json.loads, result["stdout"].splitlines())}
    lines["inspect"] = result["inspect"][0]
    assert failing(judge(lines, identity)) == set()
    # Podman maps no ids (no userns remap): out/ is the identity's own, and the file the probe
    # wrote there is owned on the host by the uid it ran as.
    uid = {"workload": 65532, "root": 0}[identity]
    assert result["out_owner"] == {"uid": uid, "gid": uid}
    for path in ("out", "out/ok"):
        owner = host.exec("stat", "-c", "%u:%g", "%s/%s/%s/%s" % (RUN_ROOT, run_id, identity, path))
        assert owner.stdout.decode().strip() == "%d:%d" % (uid, uid), path
    assert host.exec("podman", "ps", "-aq", "--filter", "label=%s=%s" % (LABEL_RUN_ID, run_id)
                     ).stdout.strip() == b""


def test_snapshot_and_event_log_of_a_window_under_podman(host: PodmanHost) -> None:
    run_id = "20260101T000000Z-000000e0"
    since = "%.9f" % time.time()
    before = host.module("engine_snapshot", current_run_id=run_id, **PODMAN)
    assert not before.get("failed"), before.get("msg")
    snapshot = json.loads(before["snapshot_json"])
    assert snapshot["runtime"] == "podman" and "pods" in snapshot
    assert host.probe.image_id in [image["id"] for image in snapshot["images"]]
    follow_dir = "%s/%s" % (RUN_ROOT, run_id)
    made = host.module("run_dir", run_id=run_id, run_root=RUN_ROOT)
    assert made.get("path", follow_dir) == follow_dir and not made.get("failed"), made
    started = host.module("engine_events", since=since, follow="start", follow_dir=follow_dir,
                          follow_for=120, **PODMAN)
    assert started["started"], started
    ran = host.module("sandbox_run", run_id=run_id, identity="workload",
                      image_id=host.probe.image_id, run_root=RUN_ROOT, **PODMAN)
    assert ran.get("exit_code") == 0, ran.get("msg")
    followed = host.module("engine_events", follow="collect", follow_dir=follow_dir, **PODMAN)
    read = host.module("engine_events", since=since, until=followed["until"], **PODMAN)
    for events in (followed["events"], read["events"]):
        mine = [(e["type"], e["action"]) for e in events if e["id"] == ran["container_id"]]
        assert ("container", "create") in mine and ("container", "remove") in mine, events
        assert all(e["command_sha256"] is None for e in events)
    assert read["events"] == followed["events"]
    after = json.loads(host.module("engine_snapshot", **PODMAN)["snapshot_json"])
    assert ran["container_id"] not in [c["id"] for c in after["containers"]]
    host.exec("rm", "-rf", follow_dir)


def test_run_cleanup_removes_exactly_the_runs_containers_under_podman(host: PodmanHost) -> None:
    run_id, other = "20260101T000000Z-000000c1", "20260101T000000Z-000000c2"
    made = {}
    for name, label in (("mine", run_id), ("other", other)):
        made[name] = host.exec("podman", "create", "--network", "none", "--label",
                               "%s=%s" % (LABEL_RUN_ID, label), host.probe.image_id
                               ).stdout.decode().strip()
    preview = host.module("run_cleanup", check_mode=True, run_id=run_id, run_root=RUN_ROOT,
                          **PODMAN)
    assert preview["containers"] == [made["mine"]]
    assert host.exec("podman", "container", "exists", made["mine"], check=False).returncode == 0
    cleaned = host.module("run_cleanup", run_id=run_id, run_root=RUN_ROOT, **PODMAN)
    assert cleaned["containers"] == [made["mine"]] and cleaned["changed"]
    assert host.exec("podman", "container", "exists", made["mine"], check=False).returncode == 1
    assert host.exec("podman", "container", "exists", made["other"], check=False).returncode == 0
    host.exec("podman", "rm", made["other"])


def test_engine_facts_under_podman(host: PodmanHost) -> None:
    result = host.module("engine_facts", run_root=RUN_ROOT, **PODMAN)
    assert not result.get("failed"), result.get("msg")
    assert result["facts"]["engine_id"].startswith("podman:")
    assert result["checks_failed"] == [] and result["fingerprint"].startswith("sha256:")
