"""Engine facts come from one template; the fingerprint is the documented digest."""

from __future__ import annotations

import hashlib
import json

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _facts as facts

LINE = json.dumps({
    "format": 1, "engine_id": "JPSI:WENE", "server_version": "20.10.24", "kernel_version": "6.18",
    "operating_system": "Debian", "os_type": "linux", "architecture": "x86_64",
    "security_options": ["name=seccomp,profile=default", "name=apparmor"],
    "cgroup_driver": "cgroupfs", "cgroup_version": "1", "default_runtime": "runc",
    "logging_driver": "json-file", "storage_driver": "overlay2"})


def test_template_names_no_field_that_could_hold_a_secret() -> None:
    for field in (".Name", "Proxy", "RegistryConfig", "Labels", ".Plugins", "Swarm"):
        assert field not in facts.FACTS_TEMPLATE


def test_select_facts_adds_the_api_version() -> None:
    selected = facts.select_facts(LINE, "1.41")
    assert selected["engine_id"] == "JPSI:WENE" and selected["api_version"] == "1.41"


@pytest.mark.parametrize("line", ["", "not json", "[]", json.dumps({"engine_id": ""})])
def test_unreadable_info_is_an_error(line: str) -> None:
    with pytest.raises(facts.FactsError):
        facts.select_facts(line, "1.41")


def test_security_modules_are_parsed_from_options() -> None:
    assert facts.security_modules(["name=seccomp,profile=default", "name=apparmor",
                                   "name=cgroupns"]) == {"seccomp", "apparmor", "cgroupns"}
    assert facts.security_modules([]) == set()


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
    selected = facts.select_facts(LINE.replace("name=seccomp,profile=default", "x"), "1.30")
    checks = {c["name"]: c for c in facts.preflight_checks(selected, str(tmp_path / "run"),
                                                           "1.41", 10**9)}
    assert not checks["api_version"]["ok"] and "1.41" in checks["api_version"]["message"]
    assert not checks["seccomp"]["ok"]
    assert not checks["free_disk"]["ok"] and "MiB free" in checks["free_disk"]["message"]
    assert checks["cgroup_version"]["ok"]
