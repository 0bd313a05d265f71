"""Bad settings are refused by name before anything is created."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils._settings import (
    SettingsError,
    check_settings,
)


def good(tmp_path, **changes) -> dict:
    return {"seccomp_profile": "", "runtime": "", "limits": {}, "run_root": "",
            "evidence_root": str(tmp_path / "evidence"), **changes}


def test_defaults_are_filled_in(tmp_path) -> None:
    settings = check_settings(good(tmp_path), ["sandbox_attest_limits", "unrelated"])
    assert settings.seccomp_profile == "targeted-deny" and settings.runtime == "docker"
    assert settings.limits["pids"] == 64 and settings.run_root == "/var/lib/sandbox-attest"


@pytest.mark.parametrize("changes, names, message", [
    ({"seccomp_profile": "unconfined"}, [], "'unconfined' is not shipped"),
    ({"runtime": "lxc"}, [], "runtime 'lxc' is not supported"),
    ({"limits": {"pids": 0}}, [], "pids=0 is outside the allowed range"),
    ({"limits": {"memory_mb": 10**7}}, [], "outside the allowed range"),
    ({"limits": {"timeout_s": -1}}, [], "outside the allowed range"),
    ({"limits": {"privileged": True}}, [], "unknown limit 'privileged'"),
    ({"limits": "pids=8"}, [], "limits must be a mapping"),
    ({"run_root": "var/lib/x"}, [], "run root 'var/lib/x' is relative"),
    ({"run_root": "/"}, [], "run root '/' is / itself"),
    ({"evidence_root": "evidence"}, [], "is relative"),
    ({"evidence_root": ""}, [], "the evidence root is missing"),
    ({"evidence_root": "/dev/null/evidence"}, [], "/dev/null is not a directory"),
    ({}, ["sandbox_attest_network"], "the network, capabilities"),
    ({}, ["sandbox_attest_cap_add"], "cannot be loosened"),
    ({}, ["sandbox_attest_privileged"], "cannot be loosened"),
    ({}, ["sandbox_attest_extra_mounts"], "cannot be loosened"),
    ({}, ["sandbox_attest_pid_mode"], "cannot be loosened"),
    ({}, ["sandbox_attest_colour"], "is not a setting of sandbox.attest"),
])
def test_bad_settings_are_refused_by_name(tmp_path, changes, names, message) -> None:
    with pytest.raises(SettingsError, match=message):
        check_settings(good(tmp_path, **changes), names)


def test_a_file_in_the_way_of_the_evidence_root_is_refused(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(SettingsError, match="is not a directory"):
        check_settings(good(tmp_path, evidence_root=str(blocker / "evidence")), [])


def test_every_problem_is_named_at_once(tmp_path) -> None:
    with pytest.raises(SettingsError) as caught:
        check_settings(good(tmp_path, seccomp_profile="x", runtime="y"),
                       ["sandbox_attest_network"])
    text = str(caught.value)
    assert "sandbox_attest_network" in text and "'x'" in text and "'y'" in text
