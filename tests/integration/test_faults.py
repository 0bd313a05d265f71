"""Faults and bad input: a clear message naming the cause, never READY, nothing of the run left,
nothing outside the run changed, the evidence gathered so far kept. Each test prints one row of
the fault table (run pytest with -s to see it)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time

import pytest
from harness import (
    TEST_LABEL,
    bundles_under,
    docker,
    engine_objects,
    exists,
    inspect,
    run_containers,
    run_dirs,
    run_playbook,
)
from test_touch_nothing import hanging_probe, start_hanging_attestation

from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import PROBE_PATH
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import probe_image_id

FAULTS = os.path.join(os.path.dirname(__file__), "faults")
FAULT_CLI = os.path.join(FAULTS, "docker-fault")


@pytest.fixture
def guard(decoys, decoy_image):
    """A running decoy, and the state of the engine before: checked unchanged afterwards."""
    decoy = decoys("container", "--restart", "unless-stopped", "--env", "DB_PASSWORD=x",
                   decoy_image)
    docker("start", decoy)
    state = {"decoy": decoy, "decoy_doc": inspect(decoy), "objects": engine_objects(),
             "dirs": run_dirs(), "runs": set(run_containers()), "followers": followers(),
             "jobs": async_jobs()}
    yield state


def followers() -> set[str]:
    """Event followers (module_utils/_event_follow.py) running on this host: `docker events`
    without --until."""
    found = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open("/proc/%s/cmdline" % pid, "rb") as handle:
                argv = handle.read().split(b"\0")
        except OSError:
            continue
        if argv[1:3] == [b"events", b"--since"] and b"--until" not in argv:
            found.add("follower pid %s" % pid)
    return found


def async_jobs() -> set[str]:
    """Ansible's async job records of the user the local target runs as."""
    folder = os.path.expanduser("~/.ansible_async")
    return {"async job %s" % name for name in os.listdir(folder)} if os.path.isdir(folder) \
        else set()


def left_and_changed(guard: dict) -> tuple[str, str]:
    """What the run left (run directories, run containers, and any new object that no test
    harness on this engine made) and whether the pre-existing decoy changed."""
    after = engine_objects()
    new_dirs = sorted(run_dirs() - guard["dirs"])
    new_runs = sorted(set(run_containers()) - guard["runs"])
    strays = [ref for kind in ("containers", "networks", "volumes")
              for ref in sorted(after[kind] - guard["objects"][kind])
              if not harness_object(kind, ref)]
    left = sorted(set(new_dirs + new_runs + strays) | (followers() - guard["followers"])
                  | (async_jobs() - guard["jobs"]))
    changed = [] if inspect(guard["decoy"]) == guard["decoy_doc"] else ["decoy changed"]
    return (", ".join(left) or "nothing"), (", ".join(changed) or "nothing")


def harness_object(kind: str, ref: str) -> bool:
    """Objects other tests on a shared engine made carry the test label; a run's never do."""
    command = {"containers": "container", "networks": "network", "volumes": "volume"}[kind]
    found = docker(command, "inspect", "--format", "{{json .%s}}" % (
        "Config.Labels" if kind == "containers" else "Labels"), ref, check=False).strip()
    try:
        labels = json.loads(found) or {}
    except ValueError:
        return False  # vanished meanwhile: not left
    return TEST_LABEL in labels and "sandbox.attest.run-id" not in labels


def row(fault: str, message: str, status: str, guard: dict) -> None:
    left, changed = left_and_changed(guard)
    print("\nFAULT-TABLE| %s | %s | %s | %s | %s" % (fault, message[:160], status, left, changed))
    assert left == "nothing", left
    assert changed == "nothing", changed


def fatal_message(output: str) -> str:
    match = re.search(r"msg: (.+?)(?:\n\S|\n\n|\Z)", output, re.S)
    return " ".join(match.group(1).split()) if match else output[-300:]


def status_of(evidence) -> str:
    bundles = bundles_under(str(evidence))
    if not bundles:
        return "no status (refused or stopped before a bundle)"
    with open(os.path.join(bundles[-1], "verification", "verdict.json"), encoding="utf-8") as f:
        return json.load(f)["status"]


def attest(tmp_path, *extra: str, env: dict | None = None):
    return run_playbook("attest.yml", "inventories/local", str(tmp_path), "-e",
                        "sandbox_attest_evidence_root=%s" % (tmp_path / "evidence"), *extra,
                        env=env)


@pytest.mark.parametrize("extra, expected", [
    (["-e", "sandbox_attest_seccomp_profile=unconfined"], "'unconfined' is not shipped"),
    (["-e", "sandbox_attest_runtime=lxc"], "runtime 'lxc' is not supported"),
    (["-e", '{"sandbox_attest_limits": {"pids": 0}}'], "pids=0 is outside the allowed range"),
    (["-e", '{"sandbox_attest_limits": {"memory_mb": 99999999}}'], "outside the allowed"),
    (["-e", "sandbox_attest_evidence_root=relative/evidence"], "is relative"),
    (["-e", "sandbox_attest_evidence_root=/dev/null/evidence"], "is not a directory"),
    (["-e", "sandbox_attest_network=host"], "cannot be loosened"),
    (["-e", "sandbox_attest_cap_add=SYS_ADMIN"], "cannot be loosened"),
    (["-e", "sandbox_attest_privileged=true"], "cannot be loosened"),
    (["-e", "sandbox_attest_extra_mounts=/:/host"], "cannot be loosened"),
    (["-e", "sandbox_attest_pid=host"], "cannot be loosened"),
    (["-e", "sandbox_run_seccomp_profile=unconfined"], "unconfined"),
])
def test_bad_variables_are_refused_before_anything(tmp_path, guard, extra, expected) -> None:
    result = run_playbook("attest.yml", "inventories/local", str(tmp_path), *extra)
    assert result.returncode != 0
    assert expected in result.stdout, result.stdout[-2000:]
    row("bad variable %s" % extra[-1], fatal_message(result.stdout), "none (refused)", guard)


def test_engine_unreachable(tmp_path, guard) -> None:
    result = attest(tmp_path, env={"DOCKER_HOST": "unix:///nonexistent/docker.sock"})
    assert result.returncode != 0
    assert "missing runtime: the engine does not answer" in result.stdout
    row("engine unreachable (client pointed at a missing socket)",
        fatal_message(result.stdout), status_of(tmp_path / "evidence"), guard)


def test_engine_socket_not_permitted(tmp_path, guard) -> None:
    inventory = tmp_path / "nobody.ini"
    inventory.write_text(
        "[rehearsal_venues]\nlocal ansible_connection=local ansible_python_interpreter="
        "/usr/bin/python3 ansible_become=true ansible_become_method=ansible.builtin.su "
        "ansible_become_user=nobody ansible_become_flags='-s /bin/sh'\n")
    result = run_playbook("attest.yml", str(inventory), str(tmp_path), "-e",
                          "sandbox_attest_evidence_root=%s" % (tmp_path / "evidence"))
    assert result.returncode != 0
    assert "may not use the engine" in result.stdout, result.stdout[-2000:]
    row("engine socket not permitted to the user (become nobody)",
        fatal_message(result.stdout), status_of(tmp_path / "evidence"), guard)


def test_probe_container_killed_from_outside(tmp_path, guard) -> None:
    killed: list[str] = []

    def killer() -> None:
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not killed:
            for cid in set(run_containers()) - guard["runs"]:
                if inspect(cid)["State"]["Running"]:
                    docker("kill", cid, check=False)
                    killed.append(cid)
            time.sleep(0.2)

    thread = threading.Thread(target=killer)
    thread.start()
    result = attest(tmp_path, "-e", "probe_image_probe_path=%s" % hanging_probe(tmp_path))
    thread.join()
    assert killed and result.returncode == 0, result.stdout[-3000:]
    [bundle] = bundles_under(str(tmp_path / "evidence"))
    with open(os.path.join(bundle, "identities", "workload", "result.json"),
              encoding="utf-8") as handle:
        outcome = json.load(handle)
    assert outcome["exit_code"] == 137 and outcome["timed_out"] is False
    status = status_of(tmp_path / "evidence")
    assert status != "SANDBOX_ATTESTED_READY"
    row("probe container killed from outside midway",
        "workload exit code 137 recorded in result.json; verifier: %s" % status, status, guard)


def test_image_load_failing(tmp_path, guard) -> None:
    image = probe_image_id(PROBE_PATH)
    if exists(image):
        assert not docker("ps", "-aq", "--filter", "ancestor=%s" % image).split()
        docker("rmi", image)
    result = attest(tmp_path, "-e", "probe_image_engine_cli=%s" % FAULT_CLI,
                    env={"SANDBOX_ATTEST_TEST_FAULT": "load"})
    assert result.returncode != 0
    assert "loading the probe image failed" in result.stdout
    assert not exists(image)
    row("image load failing (injected)", fatal_message(result.stdout),
        status_of(tmp_path / "evidence"), guard)


def test_run_directory_filesystem_full(tmp_path, guard) -> None:
    small = tmp_path / "small"
    small.mkdir()
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1m", "sandbox-attest-test", str(small)],
                   check=True)
    try:
        result = attest(tmp_path, "-e", "sandbox_attest_run_root=%s/runs" % small)
    finally:
        subprocess.run(["umount", str(small)], check=True)
    assert result.returncode != 0
    assert "MiB free in the filesystem of %s" % small in result.stdout
    row("run directory's filesystem full (1 MiB tmpfs)", fatal_message(result.stdout),
        status_of(tmp_path / "evidence"), guard)


def test_engine_fails_midway(tmp_path, guard) -> None:
    result = attest(tmp_path, "-e", "sandbox_run_engine_cli=%s" % FAULT_CLI,
                    env={"SANDBOX_ATTEST_TEST_FAULT": "logs"})
    assert result.returncode != 0
    assert "the workload run failed" in result.stdout and "injected fault" in result.stdout
    assert "sandbox.attest.cleanup : Remove the run" in result.stdout
    # What was gathered before the failure is kept beside the bundles, never as a bundle.
    [kept] = (tmp_path / "evidence" / "local").glob("*.incomplete.json")
    record = json.loads(kept.read_text())
    assert "injected fault" in record["message"] and record["runs"]
    assert record["snapshot_before"]["containers"] and "DB_PASSWORD" not in kept.read_text()
    row("engine command failing midway (docker logs, injected)",
        fatal_message(result.stdout), status_of(tmp_path / "evidence"), guard)


def test_hostile_output_is_refused_and_removed(tmp_path, guard) -> None:
    hostile = tmp_path / "hostile-probe"
    compiler = shutil.which("musl-gcc") or "gcc"
    subprocess.run([compiler, "-static", "-Os", "-o", str(hostile),
                    os.path.join(FAULTS, "hostile_probe.c")], check=True)
    result = attest(tmp_path, "-e", "probe_image_probe_path=%s" % hostile)
    assert result.returncode == 0, result.stdout[-3000:]
    [bundle] = bundles_under(str(tmp_path / "evidence"))
    refused = {}
    for identity in ("workload", "root"):
        with open(os.path.join(bundle, "identities", identity, "fetch.json"),
                  encoding="utf-8") as handle:
            fetch = json.load(handle)
        assert fetch["copied"] == []
        refused[identity] = {r["name"]: r["reason"] for r in fetch["refused"]}
        assert not os.path.exists(os.path.join(bundle, "identities", identity, "out"))
    assert refused["workload"]["ok"] == "symlink"
    assert any(r.startswith("too many entries") for r in refused["workload"].values())
    assert refused["root"]["ok"].startswith("too large")
    for name in ("suid", "locked", "root-link"):
        assert refused["root"][name] == "unexpected name"
    with open("/etc/passwd", "rb") as handle:
        host_line = handle.readline().strip()
    for top, dummy, files in os.walk(bundle):
        for name in files:
            with open(os.path.join(top, name), "rb") as handle:
                assert host_line not in handle.read(), name
    status = status_of(tmp_path / "evidence")
    assert status == "SANDBOX_ATTESTATION_FAILED"
    row("hostile out/: link to a host file, FIFO, 10 KiB file, 3,000 files, odd bytes, "
        "setuid file, locked dir, link to /",
        "fetch refused: %s" % "; ".join("%s=%s" % i for i in sorted(refused["root"].items())),
        status, guard)


def test_sigkill_leaves_leftovers_that_are_reported_then_cleaned(tmp_path, guard) -> None:
    play = start_hanging_attestation(tmp_path)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and set(run_containers()) == guard["runs"]:
        time.sleep(0.2)
    [leftover] = set(run_containers()) - guard["runs"]
    kill_tree(play.pid)  # the whole play, workers and module included, as a crash would
    play.wait()
    [run_id] = run_dirs() - guard["dirs"]

    again = attest(tmp_path)
    assert again.returncode == 0, again.stdout[-3000:]
    assert "Leftovers of earlier runs" in again.stdout and leftover in again.stdout
    assert exists(leftover, "container") and run_id in run_dirs()

    cleaned = run_playbook("cleanup.yml", "inventories/local", str(tmp_path))
    assert cleaned.returncode == 0, cleaned.stdout[-3000:]
    assert run_id in cleaned.stdout
    assert not exists(leftover, "container") and run_id not in run_dirs()
    row("SIGKILL of the whole play midway",
        "next attestation reported %s and %s without touching them; cleanup.yml removed them"
        % (leftover[:12], run_id), status_of(tmp_path / "evidence"), guard)


def kill_tree(pid: int) -> None:
    """SIGKILL pid and every descendant (Ansible's workers run in sessions of their own)."""
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open("/proc/%s/stat" % entry, encoding="utf-8") as handle:
                    ppid = int(handle.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                continue
            children.setdefault(ppid, []).append(int(entry))
    todo, tree = [pid], []
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(children.get(current, []))
    for member in tree:
        try:
            os.kill(member, signal.SIGKILL)
        except ProcessLookupError:
            pass
