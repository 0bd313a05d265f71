"""Bad settings are refused by name before anything is created."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from ansible_collections.sandbox.attest.plugins.plugin_utils._settings import (
    RENAMED,
    SETTINGS,
    SettingsError,
    check_settings,
    name_problems,
)

ROOT = Path(__file__).resolve().parents[4]
PLAYBOOKS = ("attest.yml", "verify.yml", "packet.yml", "cleanup.yml")


def good(tmp_path, **changes) -> dict:
    return {"seccomp_profile": "", "runtime": "", "limits": {}, "run_root": "",
            "evidence_root": str(tmp_path / "evidence"), **changes}


def test_podman_is_a_runtime_to_choose(tmp_path) -> None:
    assert check_settings(good(tmp_path, runtime="podman"), []).runtime == "podman"


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
    ({"evidence_root": 7}, [], "the evidence root must be a path"),
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


@pytest.mark.parametrize("old, new", sorted(RENAMED.items()))
def test_an_old_name_is_refused_naming_the_new_one(tmp_path, old, new) -> None:
    assert new in SETTINGS
    with pytest.raises(SettingsError, match="`%s` is now `%s`" % (old, new)):
        check_settings(good(tmp_path), [old, new])
    assert name_problems([old, "unrelated"]) == ["`%s` is now `%s`" % (old, new)]
    assert name_problems([new, "unrelated"]) == []


def test_the_names_check_refuses_unknown_prefixed_names_too() -> None:
    problems = name_problems(["bundle", "sandbox_attest_network", "sandbox_attest_bundle"])
    assert problems[0] == "`bundle` is now `sandbox_attest_bundle`"
    assert "cannot be loosened" in problems[1] and len(problems) == 2


def _plays() -> list[tuple[str, dict]]:
    return [(name, play) for name in PLAYBOOKS
            for play in yaml.safe_load((ROOT / "playbooks" / name).read_text())]


@pytest.mark.parametrize("name, play", _plays())
def test_every_playbook_checks_the_names_first(name, play) -> None:
    first = play["tasks"][0]
    assert "sandbox.attest.settings_check" in first, name
    assert first.get("become") is False, name


def test_no_role_variable_or_playbook_reads_an_old_name() -> None:
    """The check reads every variable's name: an old name left in a role's defaults (public to
    the play) would refuse every run, and one read by a playbook would be a way around it."""
    defaults = {name for path in ROOT.glob("roles/*/defaults/main.yml")
                for name in yaml.safe_load(path.read_text()) or {}}
    assert not defaults & set(RENAMED)
    for name in PLAYBOOKS:
        text = (ROOT / "playbooks" / name).read_text()
        expressions = re.findall(r"{{.*?}}", text, re.S) + _conditions(yaml.safe_load(text))
        used = {old for old in RENAMED for expression in expressions
                if re.search(r"(?<![\w.'\"])%s(?![\w'\"])" % old, expression)}
        assert not used, (name, used)


def _conditions(node: object) -> list[str]:
    """Every `when` and `that` of a parsed playbook (bare Jinja expressions)."""
    found: list[str] = []
    if isinstance(node, list):
        for item in node:
            found += _conditions(item)
    elif isinstance(node, dict):
        for key, value in node.items():
            if key in ("when", "that"):
                found += [str(v) for v in (value if isinstance(value, list) else [value])]
            else:
                found += _conditions(value)
    return found


def test_the_evidence_root_defaults_to_the_runner_jobs_artifacts_else_the_real_cwd(
        tmp_path, monkeypatch) -> None:
    # A launcher's PWD (what ansible-runner passes on unchanged) is never the default.
    monkeypatch.setenv("PWD", "/somewhere/else")
    monkeypatch.delenv("AWX_ISOLATED_DATA_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    assert check_settings(good(tmp_path, evidence_root=""), []).evidence_root == str(
        tmp_path / "evidence")
    artifacts = tmp_path / "private" / "artifacts" / "job-1"
    artifacts.mkdir(parents=True)
    monkeypatch.setenv("AWX_ISOLATED_DATA_DIR", str(artifacts))
    assert check_settings(good(tmp_path, evidence_root=""), []).evidence_root == str(
        artifacts / "evidence")
    # An explicit root wins over both.
    assert check_settings(good(tmp_path), []).evidence_root == str(tmp_path / "evidence")


def _ed25519_key(tmp_path, mode: int = 0o600) -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    path = tmp_path / "vsa-key.pem"
    path.write_bytes(Ed25519PrivateKey.generate().private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption()))
    path.chmod(mode)
    return str(path)


def test_a_usable_vsa_signing_key_passes(tmp_path, monkeypatch) -> None:
    path = _ed25519_key(tmp_path)
    check_settings(good(tmp_path, vsa_signing_key=path), ["sandbox_attest_vsa_signing_key"])
    check_settings(good(tmp_path, vsa_signing_key="", vsa_signing_key_passphrase=""), [])
    # `~` and variables, as the verify action's path option expands them.
    monkeypatch.setenv("HOME", str(tmp_path))
    check_settings(good(tmp_path, vsa_signing_key="~/vsa-key.pem"), [])


@pytest.mark.parametrize("key, passphrase, message", [
    ("missing", None, "does not exist"),
    ("open", None, "readable by others"),
    ("relative", None, "is relative"),
    (7, None, "must be a path"),
    ("good", 1234, "passphrase must be a string, got a int"),
    ("good", "x", "is not encrypted"),
])
def test_an_unusable_vsa_signing_key_is_refused_before_anything(tmp_path, key, passphrase,
                                                                message) -> None:
    path = {"missing": str(tmp_path / "missing"), "relative": "key.pem",
            "open": _ed25519_key(tmp_path, 0o644) if key == "open" else "",
            "good": _ed25519_key(tmp_path) if key == "good" else ""}.get(key, key)
    with pytest.raises(SettingsError, match=message):
        check_settings(good(tmp_path, vsa_signing_key=path, vsa_signing_key_passphrase=passphrase),
                       [])


PIN = ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIEjjjoGq+kFpwU8W8sBEcNMC76ujhtsebdl5MqgaND9K")


def test_the_pinned_host_key_is_kept_as_type_and_key(tmp_path) -> None:
    settings = check_settings(good(tmp_path, venue_host_key=PIN + " root@vps1\n"), [])
    assert settings.venue_host_key == PIN
    assert check_settings(good(tmp_path), []).venue_host_key == ""


@pytest.mark.parametrize("value", [
    "ssh-ed25519", "AAAAC3NzaC1lZDI1NTE5AAAAIEjjjoGq", "ssh-dss AAAAB3NzaC1kc3MAAACBA",
    "ssh-ed25519 AAAA!!!!", "ssh-rsa " + PIN.split()[1], "[127.0.0.1]:2222 " + PIN, 7])
def test_a_malformed_pinned_host_key_is_refused_before_anything(tmp_path, value) -> None:
    with pytest.raises(SettingsError, match="sandbox_attest_venue_host_key"):
        check_settings(good(tmp_path, venue_host_key=value), ["sandbox_attest_venue_host_key"])
