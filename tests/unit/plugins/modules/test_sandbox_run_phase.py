"""sandbox_run with `identities`: the whole phase in one call to the target - each identity's
run, in order, then its out/ read back as run_output reads it; a failing run stops the rest and
the task fails with what ran, the failed run last (a play's rescue keeps them)."""

from __future__ import annotations

import importlib.util
import json
import os
import stat
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.join(HERE, "..", "..", "..", "..", "plugins", "modules", "sandbox_run.py")
COLLECTIONS = os.path.join(HERE, "..", "..", "..", "..", "collections")
RUN_ID = "20261129T182400Z-0123abcd"
IMAGE_ID = "sha256:" + "ab" * 32


def _fake_engine_text() -> str:
    """The stand-in engine CLI of the module_utils tests (their conftest), one source."""
    spec = importlib.util.spec_from_file_location(
        "module_utils_conftest", os.path.join(HERE, "..", "module_utils", "conftest.py"))
    loaded = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(loaded)
    return loaded.FAKE_ENGINE


@pytest.fixture
def engine(tmp_path) -> str:
    cli = tmp_path / "docker"
    cli.write_text(_fake_engine_text())
    os.chmod(cli, stat.S_IRWXU)
    (tmp_path / "info").write_text("{}")
    return str(cli)


def _module(tmp_path, engine: str, check_mode: bool = False, **args) -> dict:
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "run_id": RUN_ID, "image_id": IMAGE_ID, "engine_cli": engine,
        "run_root": str(tmp_path / "runs"), "_ansible_check_mode": check_mode, **args}}))
    proc = subprocess.run([sys.executable, MODULE, str(path)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=COLLECTIONS,
                                   FAKE_ENGINE_DIR=str(tmp_path)),
                          timeout=120, check=False)
    return json.loads(proc.stdout)


@pytest.mark.skipif(os.geteuid() != 0, reason="the run directory is made root-owned")
def test_both_identities_run_in_order_each_with_its_output(tmp_path, engine) -> None:
    (tmp_path / "runs").mkdir(mode=0o700)
    result = _module(tmp_path, engine, identities=["workload", "root"])
    assert not result.get("failed"), result
    assert [run["identity"] for run in result["runs"]] == ["workload", "root"]
    for entry in result["runs"]:
        assert entry["run"]["removed"] is True and entry["run"]["stdout"] == "probe output"
        assert entry["run"]["commands"][0][1] == "create"
        # The fake engine writes nothing to out/: nothing copied, nothing refused.
        assert entry["output"] == {"copied": [], "refused": []}
        assert "argv" not in result and entry["run"]["argv"][1] == "create"
    calls = (tmp_path / "calls").read_text().splitlines()
    assert [c.split()[0] for c in calls if c.split()[0] in ("create", "rm")] == [
        "create", "rm", "create", "rm"]


@pytest.mark.skipif(os.geteuid() != 0, reason="the run directory is made root-owned")
def test_a_failing_run_stops_the_phase_and_is_kept(tmp_path, engine) -> None:
    (tmp_path / "runs").mkdir(mode=0o700)
    (tmp_path / "stuck").write_text("")
    result = _module(tmp_path, engine, identities=["workload", "root"])
    assert result["failed"] is True and "the workload run failed" in result["msg"]
    [entry] = result["runs"]
    assert entry["identity"] == "workload" and entry["run"]["commands"]
    assert entry["output"] == {"copied": [], "refused": []}


def test_check_mode_plans_both_and_reads_nothing(tmp_path, engine) -> None:
    result = _module(tmp_path, engine, check_mode=True, identities=["workload", "root"])
    assert [run["identity"] for run in result["runs"]] == ["workload", "root"]
    for entry in result["runs"]:
        assert entry["run"]["commands"][0][1] == "create"
        assert entry["output"] == {"copied": [], "refused": []}
    assert not (tmp_path / "runs").exists()


def test_identity_and_identities_exclude_each_other(tmp_path, engine) -> None:
    result = _module(tmp_path, engine, check_mode=True, identity="root", identities=["root"])
    assert result["failed"] is True and "mutually exclusive" in result["msg"]
    result = _module(tmp_path, engine, check_mode=True)
    assert result["failed"] is True and "one of the following is required" in result["msg"]
