"""The fleet callback records each host from what the run publishes and always writes."""

from __future__ import annotations

import json
import types

from ansible_collections.sandbox.attest.plugins.callback import fleet_summary


def _result(host: str, result: dict, task: str = "t", register: str | None = None,
            action: str = "ansible.builtin.fail", args: dict | None = None):
    return types.SimpleNamespace(
        _result=result, _host=types.SimpleNamespace(get_name=lambda: host),
        _task=types.SimpleNamespace(get_name=lambda: task, register=register, action=action,
                                    args=args or {}))


def _facts(host: str, **facts):
    return _result(host, {"ansible_facts": facts})


def test_every_host_is_summarised_even_when_all_failed(tmp_path) -> None:
    callback = fleet_summary.CallbackModule()
    callback.v2_runner_on_ok(_facts("a", attest_fleet_venue={"pin": "sha256:aa"}))
    callback.v2_runner_on_ok(_facts("b", attest_fleet_venue={"pin": ""}))
    callback.v2_runner_on_ok(_facts("a", attest_evidence_root=str(tmp_path)))
    callback.v2_runner_on_ok(_facts("a", preflight_venue_kind="approved\n"))
    callback.v2_runner_on_failed(_result("a", {"msg": "ignored"}, "x"), ignore_errors=True)
    callback.v2_runner_on_failed(_result("a", {"msg": "engine down"}, "Read engine facts"))
    callback.v2_runner_on_unreachable(_result("b", {"msg": "timed out"}))
    callback.v2_playbook_on_stats(types.SimpleNamespace(custom={}))
    fleet = json.loads((tmp_path / "fleet" / "fleet.json").read_text())
    hosts = {h["host"]: h for h in fleet["hosts"]}
    assert hosts["a"]["reasons"][0] == "Read engine facts: engine down"
    assert hosts["a"]["venue_kind"] == "approved"
    assert hosts["a"]["pinned_fingerprint"] == "sha256:aa"
    assert hosts["b"]["outcome"] == "unreachable"
    assert (tmp_path / "fleet" / "junit.xml").exists()


def test_the_exported_verdicts_and_the_incomplete_evidence_are_used(tmp_path) -> None:
    callback = fleet_summary.CallbackModule()
    callback.v2_runner_on_ok(_facts("a", attest_fleet_venue={"pin": "p"},
                                    attest_evidence_root=str(tmp_path)))
    callback.v2_runner_on_ok(_facts("a", preflight_result={"run_id": "R", "fingerprint": "p"}))
    callback.v2_runner_on_ok(_facts("b", attest_fleet_venue={"pin": "q"}))
    callback.v2_runner_on_ok(_facts("b", preflight_result={"run_id": "S", "fingerprint": "q"}))
    callback.v2_runner_on_ok(_result("b", {"path": "/e/b/S"},
                                     register="evidence_incomplete_result"))
    callback.v2_runner_on_failed(_result("b", {"msg": "kept"}, "Fail with the original cause"))
    verdicts = {"a": {"run_id": "R", "status": "SANDBOX_ATTESTATION_PARTIAL", "reasons": ["r"],
                      "bundle": "/e/a/R", "verdict": ""}}
    callback.v2_playbook_on_stats(types.SimpleNamespace(
        custom={"_run": {"sandbox_attest_verdicts": verdicts}}))
    hosts = {h["host"]: h for h in json.loads(
        (tmp_path / "fleet" / "fleet.json").read_text())["hosts"]}
    assert hosts["a"]["status"] == "SANDBOX_ATTESTATION_PARTIAL"
    assert hosts["a"]["evidence"] == "/e/a/R"
    assert hosts["b"]["outcome"] == "failed" and hosts["b"]["evidence"] == "/e/b/S"


def test_a_playbook_that_is_not_an_attestation_writes_nothing(tmp_path) -> None:
    callback = fleet_summary.CallbackModule()
    callback.v2_runner_on_ok(_facts("a", attest_evidence_root=str(tmp_path)))
    callback.v2_runner_on_failed(_result("a", {"msg": "x"}))
    callback.v2_playbook_on_stats(types.SimpleNamespace(custom={}))
    assert not (tmp_path / "fleet").exists() and callback.written == {}


def test_a_host_refused_by_the_settings_check_has_a_row(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("SANDBOX_ATTEST_FLEET_DIR", str(tmp_path / "unused"))
    callback = fleet_summary.CallbackModule()
    callback._dest = lambda: str(tmp_path / "fleet")  # type: ignore[method-assign]
    callback.v2_runner_on_failed(_result("a", {"msg": "bad limits"}, "Refuse bad settings",
                                         action="sandbox.attest.settings_check"))
    # verify.yml's names-only check on localhost is not an attestation host.
    callback.v2_runner_on_failed(_result("localhost", {"msg": "old name"}, "names",
                                         action="sandbox.attest.settings_check",
                                         args={"names_only": True}))
    callback.v2_playbook_on_stats(types.SimpleNamespace(custom={}))
    [host] = json.loads((tmp_path / "fleet" / "fleet.json").read_text())["hosts"]
    assert host["host"] == "a" and host["outcome"] == "refused"
    assert host["reasons"][0] == "Refuse bad settings: bad limits"


def test_check_mode_writes_nothing(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(fleet_summary.context, "CLIARGS", {"check": True})
    callback = fleet_summary.CallbackModule()
    callback.v2_runner_on_ok(_facts("a", attest_fleet_venue={"pin": "p"},
                                    attest_evidence_root=str(tmp_path)))
    callback.v2_playbook_on_stats(types.SimpleNamespace(custom={}))
    assert not (tmp_path / "fleet").exists() and callback.written == {}
