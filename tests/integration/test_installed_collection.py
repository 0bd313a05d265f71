"""Another team's path: the tarball `make build` makes, installed into an empty project with a
virtualenv of its own (outside this clone, from the collection's shipped requirements.txt at the
versions requirements-test.txt pins, as a fresh clone without `make setup` would have), attests
with its FQCN playbook. Nothing of this clone is on any path of that run: not its venv, not its
ansible.cfg, not its collection link.

Nothing is compiled at run time: the probe travels inside the tarball (FILES.json pins it).
The virtualenv costs 9-15 s with pip's cache warm (ansible-core, PyYAML, jsonschema)."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
import tarfile

from harness import ROOT, bundles_under

# What the tarball may hold at its top level: the collection, and nothing of the clone's tooling.
SHIPPED = {"CHANGELOG.md", "CHANGELOG.rst", "FILES.json", "LICENSE", "MANIFEST.json",
           "README.md", "bindep.txt", "changelogs", "data", "docs", "files", "meta", "playbooks",
           "plugins", "requirements.txt", "roles", "src"}


def _clean_env(project: str, venv_bin: str, home: str) -> dict[str, str]:
    """A user's shell: the project's venv first, system tools after, no variable of ours."""
    return {
        "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home,
        "LANG": "C.UTF-8",
        "PWD": project,
        "ANSIBLE_HOME": os.path.join(home, ".ansible"),
        "ANSIBLE_COLLECTIONS_PATH": os.path.join(project, "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")},
    }


def test_built_collection_installs_and_attests(tmp_path) -> None:
    built = tmp_path / "built"
    subprocess.run(["make", "--no-print-directory", "build", "BUILD_DIR=%s" % built], cwd=ROOT,
                   check=True, capture_output=True)
    [tarball] = list(built.iterdir())
    with tarfile.open(tarball) as tar:
        files = json.load(tar.extractfile("FILES.json"))
        names = set(tar.getnames())
        requirements = tar.extractfile("requirements.txt").read()
    probe = next(f for f in files["files"] if f["name"] == "files/sandbox-probe")
    with open(os.path.join(ROOT, "files", "sandbox-probe"), "rb") as handle:
        assert probe["chksum_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert {n.split("/")[0] for n in names} <= SHIPPED, sorted(names)
    assert not [n for n in names if n.startswith(("tests/", "changelogs/fragments"))]

    # The team's project and venv: empty, outside the clone, built from the shipped pins.
    project, home, venv = tmp_path / "team", tmp_path / "home", tmp_path / "venv"
    project.mkdir()
    home.mkdir()
    (tmp_path / "requirements.txt").write_bytes(requirements)  # lower bounds, as shipped
    with open(os.path.join(ROOT, "requirements-test.txt"), "rb") as handle:  # the tested pins
        (tmp_path / "constraints.txt").write_bytes(handle.read())
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, capture_output=True)
    venv_bin = str(venv / "bin")
    env = _clean_env(str(project), venv_bin, str(home))
    subprocess.run([os.path.join(venv_bin, "pip"), "install", "-q", "--disable-pip-version-check",
                    "-r", str(tmp_path / "requirements.txt"), "-c",
                    str(tmp_path / "constraints.txt")], env=env, check=True,
                   capture_output=True, timeout=600)
    assert not [v for v in env.values() if ROOT in v]
    subprocess.run([os.path.join(venv_bin, "ansible-galaxy"), "collection", "install",
                    str(tarball), "-p", str(project / "collections")], cwd=str(project),
                   env=env, check=True, capture_output=True)
    installed = project / "collections" / "ansible_collections" / "sandbox" / "attest"
    assert (installed / "files" / "sandbox-probe").is_file()
    version = subprocess.run([os.path.join(venv_bin, "ansible-playbook"), "--version"],
                             cwd=str(project), env=env, check=True, capture_output=True,
                             text=True).stdout
    assert ROOT not in version and "config file = None" in version, version

    (project / "hosts.ini").write_text(
        "[rehearsal_venues]\nlocal ansible_connection=local ansible_become=false "
        'ansible_python_interpreter="{{ ansible_playbook_python }}"\n')
    result = subprocess.run(
        [os.path.join(venv_bin, "ansible-playbook"), "sandbox.attest.attest", "-i", "hosts.ini",
         "-e", "sandbox_attest_evidence_root=%s" % (project / "evidence")],
        cwd=str(project), env=env, capture_output=True, text=True, timeout=600, check=False)
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
