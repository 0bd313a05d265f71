"""--check creates nothing and prints the exact commands; the venue gate refuses before acting."""

from __future__ import annotations

import json
import re
import shlex

from harness import (
    engine_objects,
    machine_fingerprint,
    run_dirs,
    run_playbook,
)

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import PROBE_PATH
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import probe_image_id

LOCAL = 'local ansible_connection=local ansible_python_interpreter="{{ ansible_playbook_python }}"'


def inventory(tmp_path, text: str) -> str:
    path = tmp_path / "inventory.ini"
    path.write_text(text)
    return str(path)


def test_check_creates_nothing_and_prints_the_exact_create_command(tmp_path) -> None:
    before, dirs_before = engine_objects(), run_dirs()
    env_json = dict(ANSIBLE_CALLBACK_RESULT_FORMAT="json")
    result = run_playbook("attest.yml", "inventories/local", str(tmp_path), "--check",
                          "-e", "sandbox_attest_evidence_root=%s" % (tmp_path / "ev"),
                          env=env_json)
    assert result.returncode == 0, result.stdout[-3000:]
    assert engine_objects() == before
    assert run_dirs() == dirs_before
    assert not (tmp_path / "ev").exists()

    run_id = re.search(r'"run_id": "([0-9]{8}T[0-9]{6}Z-[0-9a-f]{8})"', result.stdout).group(1)
    for identity in ("workload", "root"):
        paths = profile.run_paths(profile.DEFAULT_RUN_ROOT, run_id, identity, "targeted-deny")
        argv = profile.create_argv("docker", run_id, identity, probe_image_id(PROBE_PATH), paths,
                                   profile.resolve_limits())
        assert json.dumps(shlex.join(argv)) in result.stdout, identity


def test_a_host_in_no_venue_group_is_refused_before_anything(tmp_path) -> None:
    before = engine_objects()
    inv = inventory(tmp_path, "[somewhere_else]\n%s ansible_become=false\n" % LOCAL)
    result = run_playbook("attest.yml", inv, str(tmp_path))
    assert result.returncode != 0
    assert "Host local is not a venue" in result.stdout
    assert "'approved_venues'" in result.stdout and "somewhere_else" in result.stdout
    assert "engine_facts" not in result.stdout  # refused before connecting to the engine
    assert engine_objects() == before


def test_an_unpinned_approved_host_is_told_its_fingerprint(tmp_path) -> None:
    inv = inventory(tmp_path, "[approved_venues]\n%s ansible_become=false\n" % LOCAL)
    result = run_playbook("attest.yml", inv, str(tmp_path), "--check")
    assert result.returncode == 0, result.stdout[-3000:]
    assert "approved but not pinned" in result.stdout
    assert machine_fingerprint() in result.stdout


def test_a_pin_mismatch_is_refused(tmp_path) -> None:
    before = engine_objects()
    wrong = "sha256:" + "0" * 64
    inv = inventory(tmp_path, "[approved_venues]\n%s ansible_become=false "
                              "sandbox_attest_venue_fingerprint=%s\n" % (LOCAL, wrong))
    result = run_playbook("attest.yml", inv, str(tmp_path))
    assert result.returncode != 0
    assert "but the inventory pins %s" % wrong in result.stdout
    assert engine_objects() == before
