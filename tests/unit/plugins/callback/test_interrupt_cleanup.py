"""The interrupt callback records the run id the preflight role publishes, and only that."""

from __future__ import annotations

import types

from ansible_collections.sandbox.attest.plugins.callback import interrupt_cleanup

RUN_ID = "20261129T182400Z-0123abcd"


def _result(host: str, facts: dict) -> types.SimpleNamespace:
    return types.SimpleNamespace(_result={"ansible_facts": facts},
                                 _host=types.SimpleNamespace(get_name=lambda: host))


def test_the_published_run_id_is_recorded_per_host() -> None:
    callback = interrupt_cleanup.CallbackModule()
    callback.v2_runner_on_ok(_result("vps1", {"preflight_result": {"run_id": RUN_ID}}))
    callback.v2_runner_on_ok(_result("vps2", {"preflight_result": {"run_id": None}}))
    callback.v2_runner_on_ok(_result("vps3", {"preflight_run_id_value": RUN_ID}))
    callback.v2_runner_on_ok(_result("vps4", {"other": {"run_id": RUN_ID}}))
    assert callback._run_ids == {"vps1": RUN_ID}


def test_the_cleanup_is_limited_to_those_hosts() -> None:
    callback = interrupt_cleanup.CallbackModule()
    callback.v2_runner_on_ok(_result("vps1", {"preflight_result": {"run_id": RUN_ID}}))
    argv = callback._argv("/tmp/vars.json")  # noqa: S108 - a name only, never opened
    assert argv[1] == interrupt_cleanup.CLEANUP_PLAYBOOK
    assert argv[argv.index("--limit") + 1] == "vps1"
    assert "@/tmp/vars.json" in argv
