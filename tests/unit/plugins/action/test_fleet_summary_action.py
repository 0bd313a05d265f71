"""The fleet_summary action: writes the three files, refuses bad input by name, check mode."""

from __future__ import annotations

import json
from typing import Any
from unittest.mock import MagicMock

import pytest
from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.action.fleet_summary import ActionModule


def _run(args: dict[str, Any], check_mode: bool = False) -> dict[str, Any]:
    task = MagicMock()
    task.args = args
    task.check_mode = check_mode
    task.async_val = 0
    task.action = "sandbox.attest.fleet_summary"
    action = ActionModule(task, MagicMock(), MagicMock(), loader=None, templar=None,
                          shared_loader_obj=None)
    action._load_name = "sandbox.attest.fleet_summary"
    return action.run(task_vars={})


def test_the_summary_is_written(tmp_path) -> None:
    result = _run({"hosts": {"a/R": {"pin": "p", "venue_kind": "approved"}},
                   "verdicts": {"a/R": {"status": "SANDBOX_ATTESTED_READY", "bundle": "/b",
                                        "verdict": ""}},
                   "dest": str(tmp_path / "fleet")})
    assert not result.get("failed")
    assert (result["hosts_total"], result["hosts_ready"], result["changed"]) == (1, 1, True)
    fleet = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    assert fleet["hosts"][0]["host"] == "a/R" and fleet["hosts"][0]["evidence"] == "/b"


def test_check_mode_writes_nothing(tmp_path) -> None:
    result = _run({"hosts": {"a": {}}, "dest": str(tmp_path / "fleet")}, check_mode=True)
    assert result["written"] == {} and not (tmp_path / "fleet").exists()


def test_bad_input_is_named(tmp_path) -> None:
    with pytest.raises(AnsibleActionFail, match="the entry of a is not a mapping"):
        _run({"hosts": {"a": "x"}, "dest": str(tmp_path)})
    with pytest.raises(AnsibleActionFail, match="absolute path"):
        _run({"hosts": {"a": {}}, "dest": "relative"})
    with pytest.raises(AnsibleActionFail, match="missing required arguments: hosts"):
        _run({"dest": str(tmp_path)})
