"""The attestation under ansible-runner, through AWX's own path, against a pinned test host.

Each job is a private data directory (project/, inventory/, env/) made here, sent through
`ansible-runner transmit | ansible-runner worker | ansible-runner process`. The worker is
started from a directory of its own with a PWD naming yet another, as a launcher would, and
ANSIBLE_HOST_KEY_CHECKING absent, so the runner sets it to False as it does under AWX. Tests run
in file order: the refusals first (nothing may be created), then the attestation, then the
cancelled job and its cleanup.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from pathlib import Path

import ansible_runner
import pytest
import yaml
from conftest import (
    EPHEMERAL,
    PROJECT,
    RUN_ID_LABEL,
    RUN_ROOT,
    STATE,
    approved_venue,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    inner,
    inner_state,
    record,
)

READY = "SANDBOX_ATTESTED_READY"
JOBS = EPHEMERAL / "runner"
# The job's playbook, as an AWX project would hold it: the collection's own playbook.
PLAYBOOK = ("- name: Attest through the collection's playbook\n"
            "  ansible.builtin.import_playbook: sandbox.attest.%s\n")


def job_env() -> dict:
    """The launcher's environment: no Ansible or Molecule setting of the verify step leaks in
    (ansible-runner must pick its own host-key checking), PWD names a directory that is not the
    job's, as when AWX's receptor starts a worker."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "MOLECULE_"))}
    launcher = JOBS / "launcher"
    launcher.mkdir(parents=True, exist_ok=True)
    env["PWD"] = str(JOBS / "launcher-pwd")
    return env


def private_data_dir(name: str, host: dict, *, host_key_checking: bool = True,
                     known_hosts: str | None = None, playbook: str = "attest") -> Path:
    root = JOBS / name
    for sub in ("project", "inventory", "env"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    (root / "project" / ("%s.yml" % playbook)).write_text("---\n" + PLAYBOOK % playbook)
    pinned = root / "known_hosts"
    pinned.write_text((STATE / "known_hosts").read_text() if known_hosts is None else known_hosts)
    # As inventories/approved_host.
    venue = approved_venue(host, STATE / "id_ed25519", pinned,
                           host_key_checking=host_key_checking)
    inventory = {"approved_venues": {"hosts": {host["name"]: venue}}}
    (root / "inventory" / "hosts.yml").write_text(yaml.safe_dump(inventory))
    envvars = {
        "ANSIBLE_COLLECTIONS_PATH": str(PROJECT / "collections"),
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_HOME": str(JOBS / "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": str(JOBS / "ansible-local-tmp"),
        # As molecule/run.sh: remote temp files in the test host's /tmp; the control socket's
        # path must stay under the 108-byte limit, which the ephemeral directory may exceed.
        "ANSIBLE_REMOTE_TMP": os.environ["ANSIBLE_REMOTE_TMP"],
        "ANSIBLE_SSH_CONTROL_PATH_DIR": os.environ["ANSIBLE_SSH_CONTROL_PATH_DIR"],
        "ANSIBLE_PIPELINING": "true",
    }
    (root / "env" / "envvars").write_text(yaml.safe_dump(envvars))
    return root


def through_awx_path(root: Path, playbook: str = "attest", *extra: str,
                     ident: str = "job") -> Path:
    """transmit | worker | process, as AWX does; the artifact directory `process` received."""
    env = job_env()
    launcher = JOBS / "launcher"
    started = time.monotonic()
    transmit = subprocess.Popen(
        [".venv/bin/ansible-runner", "transmit", str(root), "-p", "%s.yml" % playbook,
         "--ident", ident, *extra], cwd=PROJECT, env=env, stdout=subprocess.PIPE)
    worker = subprocess.Popen(
        [str(PROJECT / ".venv/bin/ansible-runner"), "worker", "--delete", "--private-data-dir",
         str(JOBS / ("worker-%s" % ident))], cwd=launcher, env=env, stdin=transmit.stdout,
        stdout=subprocess.PIPE)
    transmit.stdout.close()
    process = subprocess.run(
        [str(PROJECT / ".venv/bin/ansible-runner"), "process", str(root), "--ident", ident],
        cwd=launcher, env=env,
        stdin=worker.stdout, capture_output=True, timeout=900, check=False)
    worker.stdout.close()
    # The worker exits with the playbook's code (2 failed, 4 unreachable); the job's status is
    # what the callers below read.
    worker.wait(timeout=60)
    assert transmit.wait(timeout=60) == 0
    assert process.returncode == 0, process.stderr[-2000:]
    record(**{"seconds_%s" % ident: round(time.monotonic() - started, 1)})
    return root / "artifacts" / ident


def stdout_of(artifacts: Path) -> str:
    return (artifacts / "stdout").read_text()


def stats_artifacts(artifacts: Path) -> dict:
    for path in (artifacts / "job_events").glob("*.json"):
        event = json.loads(path.read_text())
        if event.get("event") == "playbook_on_stats":
            return event["event_data"].get("artifact_data", {})
    raise AssertionError("no playbook_on_stats event in %s" % artifacts)


def test_runner_default_host_key_checking_is_refused_before_anything(host, pinned) -> None:
    before = inner_state(host)
    root = private_data_dir("unset", pinned, host_key_checking=False)
    artifacts = through_awx_path(root, ident="unset")
    out = stdout_of(artifacts)
    assert (artifacts / "status").read_text() == "failed"
    assert "host-key checking is off for approved venue %s" % pinned["name"] in out
    assert "ANSIBLE_HOST_KEY_CHECKING=False is in the environment" in out
    assert "engine_facts" not in out  # refused before any connection
    assert inner_state(host) == before


def test_a_host_key_that_is_not_pinned_is_refused(host, pinned) -> None:
    before = inner_state(host)
    root = private_data_dir("unknown-key", pinned, known_hosts="")
    artifacts = through_awx_path(root, ident="unknown-key")
    out = stdout_of(artifacts)
    assert (artifacts / "status").read_text() == "failed"
    assert "Host key verification failed" in out and "UNREACHABLE" in out
    assert (root / "known_hosts").read_text() == ""  # not accepted, not added
    assert inner_state(host) == before


def test_the_attestation_lands_in_the_jobs_artifacts_with_its_verdict(
        host, pinned, decoys_recorded) -> None:
    root = private_data_dir("attest", pinned)
    artifacts = through_awx_path(root, "attest", "--cmdline=-e sandbox_attest_require_ready=true",
                                 ident="attest")
    assert (artifacts / "status").read_text() == "successful", stdout_of(artifacts)[-4000:]
    [bundle] = sorted((artifacts / "evidence" / pinned["name"]).iterdir())
    assert (bundle / "manifest.json").is_file()
    verdict = json.loads((bundle / "verification" / "verdict.json").read_text())
    assert verdict["status"] == READY
    # Nothing where the launcher was, nor where its PWD pointed (the bundle, the probe image's
    # cache).
    assert not list((JOBS / "launcher").iterdir())
    assert not (JOBS / "launcher-pwd").exists()
    exported = stats_artifacts(artifacts)["sandbox_attest_verdicts"][pinned["name"]]
    assert exported["status"] == READY and exported["run_id"] == bundle.name
    # The worker's paths, not process's: the bundle was written there and streamed back.
    assert exported["bundle"].endswith("/artifacts/attest/evidence/%s/%s"
                                       % (pinned["name"], bundle.name))
    assert_decoys_unchanged(host, decoys_recorded)
    assert_nothing_of_a_run_left(host, decoys_recorded)
    record(runner_bundle_files=sum(1 for p in bundle.rglob("*") if p.is_file()),
           runner_status=verdict["status"])


def test_a_cancelled_job_leaves_what_the_next_run_reports_and_cleanup_removes(
        host, pinned, decoys_recorded) -> None:
    before = inner_state(host)
    root = private_data_dir("cancel", pinned)

    def run_started() -> bool:
        # The run's directory appears when the block opens (the event follower's first step):
        # from then on a killed job leaves something behind.
        return bool(host.file(RUN_ROOT).exists and host.file(RUN_ROOT).listdir())

    # AWX cancels through the runner's cancel callback: the runner kills the job's process
    # group with SIGKILL, so no cleanup of the play runs.
    env = job_env()
    saved = dict(os.environ)
    os.environ.clear()
    os.environ.update(env)
    try:
        cancelled = ansible_runner.run(private_data_dir=str(root), playbook="attest.yml",
                                       ident="cancel", quiet=True,
                                       cancel_callback=run_started)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    assert cancelled.status == "canceled"
    [run_id] = host.file(RUN_ROOT).listdir()
    left = inner(host, "ps", "--all", "--quiet", "--filter", "label=%s=%s" % (RUN_ID_LABEL, run_id))

    check = through_awx_path(private_data_dir("after-cancel", pinned), "attest",
                             "--cmdline=--check", ident="after-cancel")
    out = stdout_of(check)
    assert "Leftovers of earlier runs on %s" % pinned["name"] in out and run_id in out

    cleanup = through_awx_path(private_data_dir("cleanup", pinned, playbook="cleanup"),
                               "cleanup", ident="cleanup")
    assert (cleanup / "status").read_text() == "successful", stdout_of(cleanup)[-4000:]
    after = inner_state(host)
    assert set(after["containers"]) == set(before["containers"])
    assert after["run_root"] == before["run_root"]
    assert after["networks"] == before["networks"] and after["volumes"] == before["volumes"]
    assert_decoys_unchanged(host, decoys_recorded)
    record(cancelled_run_id=run_id, cancelled_leftover_containers=len(left.split()))


@pytest.fixture(autouse=True, scope="module")
def _jobs_dir():
    # A verify step run again (molecule verify) starts from no job of an earlier one.
    shutil.rmtree(JOBS, ignore_errors=True)
    JOBS.mkdir(parents=True)
    yield
