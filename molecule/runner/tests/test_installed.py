"""The installed collection attests a pinned SSH test host (issue 15): the tarball `make build`
makes, installed into an empty project under /tmp with a virtualenv of its own
(tests/integration/team_project.py), runs `sandbox.attest.attest` against this scenario's
approved host. Nothing of the clone is on any path of that run: the key, the pinned
known_hosts and the inventory are copied into the team's project."""

from __future__ import annotations

import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml
from conftest import (
    PROJECT,
    STATE,
    approved_venue,
    assert_decoys_unchanged,
    assert_nothing_of_a_run_left,
    record,
)

sys.path.insert(0, str(PROJECT / "tests" / "integration"))
from team_project import build_tarball, make_team_project

READY = "SANDBOX_ATTESTED_READY"


def _inventory(team: Path, host: dict) -> Path:
    """inventories/approved_host's settings for this host, every file they name inside team."""
    key = team / "id_ed25519"
    shutil.copyfile(STATE / "id_ed25519", key)
    key.chmod(0o600)
    known_hosts = team / "known_hosts"
    shutil.copyfile(STATE / "known_hosts", known_hosts)
    venue = approved_venue(host, key, known_hosts)
    inventory = team / "hosts.yml"
    inventory.write_text(yaml.safe_dump({"approved_venues": {"hosts": {host["name"]: venue}}}))
    return inventory


def test_the_installed_tarball_attests_the_pinned_host_ready(host, pinned,
                                                             decoys_recorded) -> None:
    where = Path(tempfile.mkdtemp(prefix="sandbox-attest-team-"))
    try:
        started = time.monotonic()
        tarball, _files, _names = build_tarball(str(PROJECT), where / "built")
        team = make_team_project(str(PROJECT), tarball, where)
        made = time.monotonic() - started
        inventory = _inventory(team.project, pinned)
        # The control socket under the team's own short directory (the 108-byte limit).
        team.env["ANSIBLE_SSH_CONTROL_PATH_DIR"] = str(where / "cp")
        started = time.monotonic()
        result = team.playbook("sandbox.attest.attest", "-i", str(inventory),
                               "-e", "sandbox_attest_require_ready=true")
        attested = time.monotonic() - started
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert str(PROJECT) not in result.stdout
        [bundle] = sorted((team.project / "evidence" / pinned["name"]).iterdir())
        verdict = json.loads((bundle / "verification" / "verdict.json").read_text())
        assert verdict["status"] == READY
        run = (bundle / "run.json").read_text()
        assert str(PROJECT) not in run
        assert json.loads(run)["producer"]["collection_version"] == "0.1.0"
        assert_decoys_unchanged(host, decoys_recorded)
        assert_nothing_of_a_run_left(host, decoys_recorded)
        record(installed_project_s=round(made, 1), installed_attest_s=round(attested, 1),
               installed_status=verdict["status"])
    finally:
        shutil.rmtree(where, ignore_errors=True)
