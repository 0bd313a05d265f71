"""cleanup over SSH: exactly the given run is removed, links are not followed, nothing else."""

from __future__ import annotations

from pathlib import Path

import yaml
from conftest import (
    PROBE_IMAGE_LABEL,
    RUN_ROOT,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    inner,
    run_playbook,
)

RUN_IDS = yaml.safe_load((Path(__file__).parents[1] / "vars" / "run_ids.yml").read_text())[
    "cleanup_test_run_ids"]


def run_containers(host, run_id: str) -> list[str]:
    return inner(host, "ps", "--all", "--quiet", "--filter",
                 "label=sandbox.attest.run-id=%s" % run_id).split()


def test_run_a_is_gone_without_following_links(host):
    assert not host.file("%s/%s" % (RUN_ROOT, RUN_IDS["A"])).exists
    assert run_containers(host, RUN_IDS["A"]) == []
    passwd = host.file("/etc/passwd")
    assert passwd.exists and passwd.contains("^attest:")
    assert host.file("/etc").is_directory and host.file("/bin/true").exists


def test_run_b_and_the_decoys_are_untouched(host, decoys_recorded):
    run_b = host.file("%s/%s" % (RUN_ROOT, RUN_IDS["B"]))
    assert run_b.is_directory
    assert {"root", "workload"} <= set(run_b.listdir())
    assert len(run_containers(host, RUN_IDS["B"])) == 1
    assert_decoys_unchanged(host, decoys_recorded)
    assert inner(host, "image", "ls", "--quiet", "--filter", "label=%s" % PROBE_IMAGE_LABEL)


def test_the_cleanup_playbook_removes_the_other_leftover_over_ssh(host, decoys_recorded):
    proc = run_playbook("playbooks/cleanup.yml")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert RUN_IDS["B"] in proc.stdout
    assert not host.file("%s/%s" % (RUN_ROOT, RUN_IDS["B"])).exists
    assert run_containers(host, RUN_IDS["B"]) == []
    assert_decoys_unchanged(host, decoys_recorded)
    # The run root itself stays (empty); the probe image stays (a cache).
    assert_nothing_of_a_run_left(host, decoys_recorded)
    assert inner(host, "image", "ls", "--quiet", "--filter", "label=%s" % PROBE_IMAGE_LABEL)
