"""Touch nothing that exists: decoys of every kind survive a good, a failing, a timed-out and a
--check attestation unchanged, and nothing of any of those runs is left."""

from __future__ import annotations

import json
import os
import shutil
import subprocess

import pytest
from harness import (
    ROOT,
    VENV_BIN,
    as_a_terminal_job,
    bundles_under,
    docker,
    engine_objects,
    playbook_env,
    run_containers,
    run_dirs,
    run_playbook,
)

EARLIER_RUN = "20200101T000000Z-0badc0de"
LOOKALIKE_RUN = "20200101T000000Z-deadbeef"


@pytest.fixture
def decoy_set(decoys, decoy_image) -> dict[str, str]:
    network = decoys("network", "sandbox-attest-test-net")
    volume = decoys("volume", "sandbox-attest-test-vol")
    made = {
        "running": decoys("container", "--restart", "unless-stopped", "--env",
                          "DB_PASSWORD=decoy-secret", decoy_image),
        "stopped": decoys("container", decoy_image),
        "paused": decoys("container", decoy_image),
        "attached": decoys("container", "--network", network, decoy_image),
        "volume_user": decoys("container", "--mount",
                              "type=volume,source=%s,target=/data" % volume, decoy_image),
        "lookalike": decoys("container", "--name", "sandbox-attest-%s-workload" % LOOKALIKE_RUN,
                            decoy_image),
        "earlier_run": decoys("container", "--label", "sandbox.attest.run-id=%s" % EARLIER_RUN,
                              "--label", "sandbox.attest.identity=workload", decoy_image),
    }
    for name in ("running", "paused", "attached", "volume_user"):
        docker("start", made[name])
    docker("pause", made["paused"])
    made["network"], made["volume"] = network, volume
    return made


def snapshot(decoy_set: dict[str, str]) -> dict[str, dict]:
    docs = {}
    for name, ref in decoy_set.items():
        kind = {"network": "network", "volume": "volume"}.get(name, "container")
        docs[name] = json.loads(docker(kind, "inspect", ref))[0]
    return docs


def attest(tmp_path, *extra: str):
    return run_playbook("attest.yml", "inventories/local", str(tmp_path), "-e",
                        "sandbox_attest_evidence_root=%s" % (tmp_path / "evidence"), *extra)


def test_decoys_survive_every_kind_of_run(tmp_path, decoy_set, decoy_image) -> None:
    before_docs = snapshot(decoy_set)
    before_objects, dirs_before = engine_objects(), run_dirs()

    good = attest(tmp_path)
    assert good.returncode == 0, good.stdout[-4000:]
    # The earlier run's container is reported by preflight and left alone.
    assert decoy_set["earlier_run"] in good.stdout and "Leftovers of earlier runs" in good.stdout

    # Forced to fail midway: the engine fails a command while the workload container exists.
    fault_cli = os.path.join(os.path.dirname(__file__), "faults", "docker-fault")
    failing = run_playbook("attest.yml", "inventories/local", str(tmp_path), "-e",
                           "sandbox_run_engine_cli=%s" % fault_cli,
                           env={"SANDBOX_ATTEST_TEST_FAULT": "logs"})
    assert failing.returncode != 0
    assert "injected fault" in failing.stdout
    assert "sandbox.attest.cleanup : Remove the run" in failing.stdout

    # A probe that never ends (the decoy sleeper) is killed at the time bound.
    timed_out = attest(tmp_path, "-e", "probe_image_probe_path=%s" % hanging_probe(tmp_path),
                       "-e", '{"sandbox_attest_limits": {"timeout_s": 5}}')
    assert timed_out.returncode == 0, timed_out.stdout[-4000:]
    newest = bundles_under(str(tmp_path / "evidence"))[-1]
    with open(os.path.join(newest, "identities", "workload", "result.json"),
              encoding="utf-8") as handle:
        result = json.load(handle)
    assert result["timed_out"] is True and result["removed"] is True
    with open(os.path.join(newest, "verification", "verdict.json"), encoding="utf-8") as handle:
        assert json.load(handle)["status"] != "SANDBOX_ATTESTED_READY"

    check = attest(tmp_path, "--check")
    assert check.returncode == 0, check.stdout[-4000:]
    assert "docker create --name sandbox-attest-" in check.stdout

    after_docs = snapshot(decoy_set)
    for name, doc in before_docs.items():
        assert after_docs[name] == doc, "decoy %s changed" % name
    for name in ("running", "attached", "volume_user"):
        assert after_docs[name]["State"]["Running"] and not after_docs[name]["State"]["Paused"]
    assert after_docs["paused"]["State"]["Paused"]
    after_objects = engine_objects()
    for kind in ("containers", "networks", "volumes"):
        assert after_objects[kind] - before_objects[kind] == set(), kind
    assert run_dirs() == dirs_before
    assert run_containers() == [decoy_set["earlier_run"]]


def hanging_probe(tmp_path) -> str:
    binary = tmp_path / "hanging-probe"
    compiler = shutil.which("musl-gcc") or "gcc"
    source = os.path.join(os.path.dirname(__file__), "decoy", "sleeper.c")
    subprocess.run([compiler, "-static", "-Os", "-o", str(binary), source], check=True)
    return str(binary)


def start_hanging_attestation(tmp_path, output: int | None = subprocess.DEVNULL,
                              ) -> subprocess.Popen:
    """attest.yml with a probe that hangs, in a process group of its own (to be signalled)."""
    return subprocess.Popen(
        [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", "attest.yml"),
         "-i", "inventories/local", "-e", "probe_image_probe_path=%s" % hanging_probe(tmp_path),
         "-e", "sandbox_attest_evidence_root=%s" % (tmp_path / "evidence")],
        cwd=ROOT, env=playbook_env(str(tmp_path)), stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else subprocess.DEVNULL,
        start_new_session=True, preexec_fn=as_a_terminal_job)
