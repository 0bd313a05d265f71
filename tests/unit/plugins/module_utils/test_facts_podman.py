"""Podman's facts and venue fingerprint, from `podman info --format json` as the Podman test
host printed it (tests/unit/data/podman-info, provenance in its README)."""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path

import pytest
from podman_info import INFO
from podman_info import info_without as _without
from podman_info import key_paths as _leaves

from ansible_collections.sandbox.attest.plugins.module_utils import _facts as facts
from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    MissingRuntime,
    engine_answers,
)

DATA = Path(__file__).resolve().parents[2] / "data" / "podman-info"
API = (DATA / "api-version").read_text(encoding="ascii").strip()
# The test host's machine-id and its fingerprint as tests/podman's POSIX sh computed them there,
# five times and again after a restart of the host (docs/podman-facts.md section 11).
HOST_MACHINE_ID = "73a15712e806f9038adab585feb7cbbe"
HOST_FINGERPRINT = "sha256:c335879ce5ba4901d9b36e81a7e7b738efa0ca27fc0a897ed9bc69166dd5edff"


def test_the_test_hosts_facts_are_selected_under_dockers_keys() -> None:
    selected = facts.select_podman_facts(json.dumps(INFO), API)
    assert selected == {
        "format": 1, "engine_id": "podman:/var/lib/containers/storage",
        "server_version": "4.3.1", "api_version": "4.3.1",
        "kernel_version": "6.18.44-fc-v657", "os_type": "linux", "architecture": "amd64",
        "operating_system": "debian 12 (bookworm)",
        "security_options": ["name=seccomp,profile=/usr/share/containers/seccomp.json"],
        "cgroup_driver": "cgroupfs", "cgroup_version": "1", "default_runtime": "crun",
        "logging_driver": "k8s-file", "storage_driver": "vfs", "event_logger": "file",
        "graph_root": "/var/lib/containers/storage", "run_root": "/run/containers/storage"}
    # security_modules and the preflight read them as they read Docker's.
    assert facts.security_modules(selected["security_options"]) == {"seccomp"}


def test_nothing_else_of_the_host_is_kept() -> None:
    selected = json.dumps(facts.select_podman_facts(json.dumps(INFO), API))
    for private in (INFO["host"]["hostname"], "memFree", "idMappings", "registries"):
        assert str(private) not in selected


@pytest.mark.parametrize("path", _leaves(INFO), ids="/".join)
def test_every_field_may_be_absent(path: tuple[str, ...]) -> None:
    selected = facts.select_podman_facts(json.dumps(_without(path)), API)
    assert selected["format"] == 1 and selected["engine_id"].startswith("podman:")
    assert isinstance(selected["security_options"], list)
    assert None not in selected.values()


def test_absent_security_facts_are_no_security_options() -> None:
    info = _without(("host", "security", "seccompEnabled"))
    assert facts.select_podman_facts(json.dumps(info), API)["security_options"] == []


def test_rootless_apparmor_and_selinux_in_dockers_words() -> None:
    info = copy.deepcopy(INFO)
    info["host"]["security"].update(rootless=True, apparmorEnabled=True, selinuxEnabled=True)
    options = facts.select_podman_facts(json.dumps(info), API)["security_options"]
    assert facts.security_modules(options) == {"seccomp", "apparmor", "selinux", "rootless"}


@pytest.mark.parametrize("text", ["", "not json", "[]", "null"])
def test_unreadable_info_is_a_facts_error(text: str) -> None:
    with pytest.raises(facts.FactsError):
        facts.select_podman_facts(text, API)


def test_the_fingerprint_is_the_one_the_test_host_computed(tmp_path) -> None:
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(HOST_MACHINE_ID + "\n", encoding="ascii")
    engine_id = facts.select_podman_facts(json.dumps(INFO), API)["engine_id"]
    fingerprint, machine_sha256 = facts.venue_identity(str(machine_id), engine_id)
    assert fingerprint == HOST_FINGERPRINT
    # Never the Docker fingerprint of the same machine: the runtime name is digested too.
    assert fingerprint != facts.fingerprint_of(machine_sha256, "/var/lib/containers/storage")


def test_posix_sh_with_coreutils_computes_the_same(tmp_path) -> None:
    # What the operator packet will run (its podman call replaced by the captured graph root).
    machine_id = tmp_path / "machine-id"
    machine_id.write_text(HOST_MACHINE_ID + "\n", encoding="ascii")
    script = ('msha=$(tr -d "\\n" <"$1" | sha256sum | cut -d" " -f1); '
              'printf "sha256:%s\\n" "$(printf "%s\\npodman:%s\\n" "$msha" "$2" '
              '| sha256sum | cut -d" " -f1)"')
    out = subprocess.run(["sh", "-c", script, "sh", str(machine_id),
                          INFO["store"]["graphRoot"]], capture_output=True, check=True,
                         env={"PATH": os.environ["PATH"], "LC_ALL": "C"})
    assert out.stdout.decode("ascii").strip() == HOST_FINGERPRINT


def test_without_a_graph_root_the_runtime_name_alone_stands_in() -> None:
    info = _without(("store", "graphRoot"))
    assert facts.select_podman_facts(json.dumps(info), API)["engine_id"] == "podman:"


def test_an_absent_podman_cli_is_a_missing_runtime(tmp_path) -> None:
    with pytest.raises(MissingRuntime, match=r"^missing runtime: engine CLI .* not found"):
        engine_answers(str(tmp_path / "no-such-dir" / "podman"), runtime="podman")


def test_a_podman_that_cannot_open_its_store_is_a_missing_runtime(tmp_path) -> None:
    # A stand-in CLI printing what podman 4.3.1 printed on the test host when its store did not
    # match (`podman --storage-driver overlay version`, rc 125).
    cli = tmp_path / "podman"
    cli.write_text('#!/bin/sh\necho \'Error: database storage graph driver "vfs" does not '
                   'match our storage graph driver "overlay": database configuration '
                   'mismatch\' >&2\nexit 125\n', encoding="ascii")
    cli.chmod(0o755)
    with pytest.raises(MissingRuntime, match=r"^missing runtime: the engine does not answer"):
        engine_answers(str(cli), runtime="podman")


def test_podman_asks_for_its_own_api_version(tmp_path) -> None:
    cli = tmp_path / "podman"
    cli.write_text('#!/bin/sh\n[ "$*" = "version --format {{.APIVersion}}" ] && echo 4.3.1\n',
                   encoding="ascii")
    cli.chmod(0o755)
    assert engine_answers(str(cli), runtime="podman") == "4.3.1"


def test_an_unknown_runtime_is_refused() -> None:
    with pytest.raises(Exception, match="unknown runtime"):
        engine_answers("podman", runtime="bubblewrap")


def test_the_preflight_reads_the_test_hosts_facts(tmp_path) -> None:
    selected = facts.select_podman_facts(json.dumps(INFO), API)
    checks = facts.preflight_checks(selected, str(tmp_path), "1.41", 0)
    checks = {c["name"]: c["ok"] for c in checks}
    assert checks == {"api_version": True, "seccomp": True, "cgroup_version": True,
                      "linux": True, "free_disk": True}


@pytest.mark.parametrize("path", [("version", "Version"), ("host", "cgroupVersion"),
                                  ("host", "os"), ("host", "security")], ids="/".join)
def test_an_absent_fact_fails_its_check_instead_of_the_preflight(tmp_path, path) -> None:
    selected = facts.select_podman_facts(json.dumps(_without(path)), "")
    checks = facts.preflight_checks(selected, str(tmp_path), "1.41", 0)
    assert len(checks) == 5 and not all(c["ok"] for c in checks)
