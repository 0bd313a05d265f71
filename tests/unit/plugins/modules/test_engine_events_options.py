"""engine_events' options that save a call to the target: follow=start with run_id makes the
run directory itself (the one maker) and follows into it; snapshot is not for follow=start;
run_id only with follow=start."""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
MODULE = os.path.join(HERE, "..", "..", "..", "..", "plugins", "modules", "engine_events.py")
COLLECTIONS = os.path.join(HERE, "..", "..", "..", "..", "collections")
RUN_ID = "20261129T182400Z-0123abcd"


def _module(tmp_path, check_mode: bool = True, **args) -> dict:
    path = tmp_path / "args.json"
    path.write_text(json.dumps({"ANSIBLE_MODULE_ARGS": {
        "engine_cli": "/nonexistent/docker", "_ansible_check_mode": check_mode, **args}}))
    proc = subprocess.run([sys.executable, MODULE, str(path)], capture_output=True, text=True,
                          env=dict(os.environ, PYTHONPATH=COLLECTIONS), timeout=60,
                          check=False)
    return json.loads(proc.stdout)


def test_start_with_run_id_names_the_run_directory_and_makes_nothing_in_check_mode(
        tmp_path) -> None:
    runs = tmp_path / "runs"
    result = _module(tmp_path, follow="start", since="2026-11-29T18:24:00Z", run_id=RUN_ID,
                     run_root=str(runs))
    assert not result.get("failed"), result
    assert result["started"] is False and result["follow_dir"] == str(runs / RUN_ID)
    assert not runs.exists()


def test_start_needs_a_directory_or_a_run_and_not_both(tmp_path) -> None:
    result = _module(tmp_path, follow="start", since="2026-11-29T18:24:00Z")
    assert result["failed"] is True and "follow_dir" in result["msg"]
    result = _module(tmp_path, follow="start", since="2026-11-29T18:24:00Z", run_id=RUN_ID,
                     follow_dir=str(tmp_path))
    assert result["failed"] is True and "mutually exclusive" in result["msg"]


def test_snapshot_and_run_id_are_refused_where_they_do_not_apply(tmp_path) -> None:
    result = _module(tmp_path, follow="start", since="2026-11-29T18:24:00Z", run_id=RUN_ID,
                     snapshot=True)
    assert result["failed"] is True and "snapshot is not for follow=start" in result["msg"]
    result = _module(tmp_path, since="2026-11-29T18:24:00Z", run_id=RUN_ID)
    assert result["failed"] is True and "run_id is for follow=start only" in result["msg"]


def test_a_malformed_run_id_is_refused_before_anything(tmp_path) -> None:
    result = _module(tmp_path, check_mode=False, follow="start", since="2026-11-29T18:24:00Z",
                     run_id="../escape", run_root=str(tmp_path / "runs"))
    assert result["failed"] is True and "cannot be made" in result["msg"]
    assert not (tmp_path / "runs").exists()
