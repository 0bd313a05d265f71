"""Engine facts come from one template; the fingerprint is the documented digest."""

from __future__ import annotations

import json
import subprocess

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
    # The packet script's recipe, run by sh and coreutils.
    shell = subprocess.run(
        ["sh", "-c", 'm=$(printf "%s" "$1" | sha256sum | cut -c1-64); '
         'printf "%s %s" "$m" "$(printf "%s\\n%s\\n" "$m" "$2" | sha256sum | cut -c1-64)"',
         "sh", machine_id, "JPSI:WENE"], capture_output=True, text=True, check=True).stdout
    machine_sha, fingerprint = shell.split()
    assert facts.venue_identity(str(path), "JPSI:WENE") == ("sha256:" + fingerprint, machine_sha)
    assert machine_id not in facts.venue_identity(str(path), "JPSI:WENE")[0]


def test_bad_machine_id_is_an_error(tmp_path) -> None:
    path = tmp_path / "machine-id"
    path.write_text("not-a-machine-id\n")
    with pytest.raises(facts.FactsError):
        facts.venue_identity(str(path), "x")


def test_preflight_checks_report_each_failure(tmp_path) -> None:
    selected = facts.select_facts(LINE.replace("name=seccomp,profile=default", "x"), "1.30")
    checks = {c["name"]: c for c in facts.preflight_checks(selected, str(tmp_path / "run"),
                                                           "1.41", 10**9)}
    assert not checks["api_version"]["ok"] and "1.41" in checks["api_version"]["message"]
    assert not checks["seccomp"]["ok"]
    assert not checks["free_disk"]["ok"] and "MiB free" in checks["free_disk"]["message"]
    assert checks["cgroup_version"]["ok"]


# Measured on a test host whose engine runs with --userns-remap=default (Docker 20.10.24):
# dockerd made the user dockremap and its ranges after the login user's, and named the
# remapped root at the end of its root directory.
REMAPPED = {"security_options": ["name=seccomp,profile=default", "name=userns"],
            "docker_root_dir": "/var/lib/docker/165536.165536"}
SUBIDS = "attest:100000:65536\ndockremap:165536:65536\n"


def test_the_template_records_the_engine_root_directory() -> None:
    assert '"docker_root_dir":{{json .DockerRootDir}}' in facts.FACTS_TEMPLATE


def test_no_remap_without_the_userns_option() -> None:
    assert facts.userns_remap({"security_options": ["name=seccomp,profile=default"],
                               "docker_root_dir": "/var/lib/docker"}) is None
    assert facts.userns_remap({"security_options": None}) is None
    assert facts.userns_remap({}) is None


def test_the_remapped_root_is_read_from_the_engine_root_directory() -> None:
    assert facts.userns_remap(REMAPPED) == {"uid": 165536, "gid": 165536}
    assert facts.userns_remap(dict(REMAPPED, docker_root_dir="/srv/d/1000.2000/")) == {
        "uid": 1000, "gid": 2000}


@pytest.mark.parametrize("root_dir", [None, "", "/var/lib/docker", "/var/lib/docker/165536",
                                      "/var/lib/docker/a.b", "/x/165536.", "/x/\u0661.1"])
def test_a_remap_without_a_readable_root_is_an_error(root_dir) -> None:
    with pytest.raises(facts.FactsError):
        facts.userns_remap(dict(REMAPPED, docker_root_dir=root_dir))


def test_mapped_owner_adds_the_remapped_root_within_its_range(tmp_path) -> None:
    (tmp_path / "subuid").write_text(SUBIDS)
    (tmp_path / "subgid").write_text(SUBIDS)
    paths = {"subuid": str(tmp_path / "subuid"), "subgid": str(tmp_path / "subgid")}
    remap = facts.userns_remap(REMAPPED)
    assert facts.mapped_owner(remap, 65532, 65532, **paths) == (231068, 231068)
    assert facts.mapped_owner(remap, 0, 0, **paths) == (165536, 165536)
    assert facts.mapped_owner(None, 65532, 65532, **paths) == (65532, 65532)


def test_mapped_owner_refuses_a_range_that_does_not_cover_the_id(tmp_path) -> None:
    (tmp_path / "subuid").write_text("dockremap:165536:1000\n")
    (tmp_path / "subgid").write_text(SUBIDS)
    paths = {"subuid": str(tmp_path / "subuid"), "subgid": str(tmp_path / "subgid")}
    remap = facts.userns_remap(REMAPPED)
    assert facts.mapped_owner(remap, 0, 0, **paths) == (165536, 165536)
    with pytest.raises(facts.FactsError, match="falls outside"):
        facts.mapped_owner(remap, 65532, 65532, **paths)
    with pytest.raises(facts.FactsError, match="cannot read"):
        facts.mapped_owner(remap, 0, 0, subuid=str(tmp_path / "absent"))
