"""Another team's path: the built tarball, installed elsewhere, attests with its FQCN playbook.
Nothing is compiled at run time: the probe travels inside the tarball (FILES.json pins it)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import tarfile

from harness import ROOT, VENV_BIN, bundles_under, playbook_env


def test_built_collection_installs_and_attests(tmp_path) -> None:
    env = playbook_env(str(tmp_path))
    built = tmp_path / "built"
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "build",
                    "--output-path", str(built), ROOT], cwd=ROOT, env=env, check=True,
                   capture_output=True)
    [tarball] = list(built.iterdir())
    with tarfile.open(tarball) as tar:
        files = json.load(tar.extractfile("FILES.json"))
        names = set(tar.getnames())
    probe = next(f for f in files["files"] if f["name"] == "files/sandbox-probe")
    with open(os.path.join(ROOT, "files", "sandbox-probe"), "rb") as handle:
        assert probe["chksum_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert not {n for n in names if n.startswith((".venv", ".cache", "collections/", "evidence"))}

    elsewhere = tmp_path / "team"
    elsewhere.mkdir()
    team_env = {**env, "ANSIBLE_COLLECTIONS_PATH": str(elsewhere / "collections"),
                "PWD": str(elsewhere)}
    del team_env["ANSIBLE_CONFIG"]  # the team has no ansible.cfg of ours, nor our clone's link
    subprocess.run([os.path.join(VENV_BIN, "ansible-galaxy"), "collection", "install",
                    str(tarball), "-p", str(elsewhere / "collections")], cwd=str(elsewhere),
                   env=team_env, check=True, capture_output=True)
    assert (elsewhere / "collections" / "ansible_collections" / "sandbox" / "attest" / "files"
            / "sandbox-probe").is_file()
    (elsewhere / "hosts.ini").write_text(
        "[rehearsal_venues]\nlocal ansible_connection=local ansible_become=false "
        'ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    result = subprocess.run(
        [os.path.join(VENV_BIN, "ansible-playbook"), "sandbox.attest.attest", "-i", "hosts.ini",
         "-e", "sandbox_attest_evidence_root=%s" % (elsewhere / "evidence")],
        cwd=str(elsewhere), env=team_env, capture_output=True, text=True, timeout=600,
        check=False)
    assert result.returncode == 0, result.stdout[-4000:]
    [bundle] = bundles_under(str(elsewhere / "evidence"))
    with open(os.path.join(bundle, "verification", "verdict.json"), encoding="utf-8") as f:
        verdict = json.load(f)
    assert verdict["reasons"] == ["rehearsal venue"]
    assert {row["result"] for row in verdict["rows"]} == {"PASS"}
    with open(os.path.join(bundle, "run.json"), encoding="utf-8") as handle:
        assert json.load(handle)["producer"]["collection_version"] == "0.1.0"
