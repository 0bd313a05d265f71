"""Another team's path (team_project.py): the tarball `make build` makes, installed into an
empty project with a virtualenv of its own outside this clone, attests a local rehearsal venue
with its FQCN playbook (molecule/runner attests a pinned SSH test host the same way).

Nothing is compiled at run time: the probe travels inside the tarball (FILES.json pins it)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess

from harness import ROOT, bundles_under
from team_project import SHIPPED, build_tarball, make_team_project


def test_built_collection_installs_and_attests(tmp_path) -> None:
    tarball, files, names = build_tarball(ROOT, tmp_path / "built")
    probe = next(f for f in files["files"] if f["name"] == "files/sandbox-probe")
    with open(os.path.join(ROOT, "files", "sandbox-probe"), "rb") as handle:
        assert probe["chksum_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert {n.split("/")[0] for n in names} <= SHIPPED, sorted(names)
    assert not [n for n in names if n.startswith(("tests/", "changelogs/fragments"))]

    team = make_team_project(ROOT, tarball, tmp_path)
    project = team.project
    installed = project / "collections" / "ansible_collections" / "sandbox" / "attest"
    assert (installed / "files" / "sandbox-probe").is_file()
    version = subprocess.run([os.path.join(team.venv_bin, "ansible-playbook"), "--version"],
                             cwd=str(project), env=team.env, check=True, capture_output=True,
                             text=True).stdout
    assert ROOT not in version and "config file = None" in version, version

    (project / "hosts.ini").write_text(
        "[rehearsal_venues]\nlocal ansible_connection=local ansible_become=false "
        'ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    result = team.playbook("sandbox.attest.attest", "-i", "hosts.ini",
                           "-e", "sandbox_attest_evidence_root=%s" % (project / "evidence"))
    assert result.returncode == 0, result.stdout[-4000:]
    assert ROOT not in result.stdout
    [bundle] = bundles_under(str(project / "evidence"))
    with open(os.path.join(bundle, "verification", "verdict.json"), encoding="utf-8") as f:
        verdict = json.load(f)
    assert verdict["reasons"] == ["rehearsal venue"]
    assert {row["result"] for row in verdict["rows"]} == {"PASS"}
    with open(os.path.join(bundle, "run.json"), encoding="utf-8") as handle:
        run = json.load(handle)
    assert run["producer"]["collection_version"] == "0.1.0"
    assert ROOT not in json.dumps(run)
