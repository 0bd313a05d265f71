"""Engine facts keep selected fields only; the fingerprint is the documented digest."""

from __future__ import annotations

import hashlib

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _facts as facts

INFO = {"ID": "JPSI:WENE", "ServerVersion": "20.10.24", "KernelVersion": "6.18",
        "OperatingSystem": "Debian", "OSType": "linux", "Architecture": "x86_64",
        "SecurityOptions": ["name=seccomp,profile=default", "name=apparmor"],
        "CgroupDriver": "cgroupfs", "CgroupVersion": "1", "DefaultRuntime": "runc",
        "Runtimes": {"runc": {}}, "LoggingDriver": "json-file", "Driver": "overlay2",
        "Name": "prod-host", "HttpProxy": "http://user:secret@proxy", "RegistryConfig": {}}


def test_select_facts_keeps_only_listed_fields() -> None:
    selected = facts.select_facts(INFO, "1.41")
    assert selected["engine_id"] == "JPSI:WENE"
    assert selected["seccomp"] and selected["apparmor"] and not selected["selinux"]
    assert "secret" not in repr(selected) and "prod-host" not in repr(selected)


def test_info_without_engine_id_is_an_error() -> None:
    with pytest.raises(facts.FactsError):
        facts.select_facts({"ServerVersion": "x"}, "1.41")


def test_fingerprint_matches_the_shell_recipe(tmp_path) -> None:
    machine_id = "3d1219c7c4c5404aaa1f6d2a48adfda4"
    path = tmp_path / "machine-id"
    path.write_text(machine_id + "\n")
    expected = hashlib.sha256(("%s\nJPSI:WENE\n" % machine_id).encode()).hexdigest()
    assert facts.venue_fingerprint(str(path), "JPSI:WENE") == "sha256:" + expected


def test_bad_machine_id_is_an_error(tmp_path) -> None:
    path = tmp_path / "machine-id"
    path.write_text("not-a-machine-id\n")
    with pytest.raises(facts.FactsError):
        facts.venue_fingerprint(str(path), "x")


def test_preflight_checks_report_each_failure(tmp_path) -> None:
    selected = facts.select_facts(dict(INFO, SecurityOptions=[]), "1.30")
    checks = {c["name"]: c for c in facts.preflight_checks(selected, str(tmp_path / "run"),
                                                           "1.41", 10**9)}
    assert not checks["api_version"]["ok"] and "1.41" in checks["api_version"]["message"]
    assert not checks["seccomp"]["ok"]
    assert not checks["free_disk"]["ok"] and "MiB free" in checks["free_disk"]["message"]
    assert checks["cgroup_version"]["ok"]
