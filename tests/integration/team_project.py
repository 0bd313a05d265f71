"""Another team's project: the tarball `make build` makes, installed into an empty directory
with a virtualenv of its own, outside this clone, from the collection's shipped requirements.txt
at the versions requirements-test.txt pins - what a fresh clone without `make setup`, or a team
given only the tarball, would have. Nothing of this clone is on any path of it: not its venv,
not its ansible.cfg, not its collection link. Used by tests/integration/test_installed_collection.py
(a local rehearsal venue) and molecule/runner (a pinned SSH test host).

The virtualenv costs 9-15 s with pip's cache warm (ansible-core, PyYAML, jsonschema)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

# What the tarball may hold at its top level: the collection, and nothing of the clone's tooling.
SHIPPED = {"CHANGELOG.md", "CHANGELOG.rst", "FILES.json", "LICENSE", "MANIFEST.json",
           "README.md", "bindep.txt", "changelogs", "data", "docs", "files", "meta", "playbooks",
           "plugins", "requirements.txt", "roles", "src"}


@dataclass(frozen=True)
class TeamProject:
    project: Path
    venv_bin: str
    env: dict[str, str]

    def playbook(self, *argv: str, timeout: int = 600) -> subprocess.CompletedProcess:
        """ansible-playbook of the team's venv, run in the team's project."""
        return subprocess.run([os.path.join(self.venv_bin, "ansible-playbook"), *argv],
                              cwd=str(self.project), env=self.env, capture_output=True,
                              text=True, timeout=timeout, check=False)


def build_tarball(root: str, dest: Path) -> tuple[Path, dict, set[str]]:
    """`make build` into dest: the tarball, its FILES.json, and its member names."""
    subprocess.run(["make", "--no-print-directory", "build", "BUILD_DIR=%s" % dest], cwd=root,
                   check=True, capture_output=True)
    [tarball] = list(dest.iterdir())
    with tarfile.open(tarball) as tar:
        files = json.load(tar.extractfile("FILES.json"))
        names = set(tar.getnames())
    return tarball, files, names


def _clean_env(project: Path, venv_bin: str, home: Path) -> dict[str, str]:
    """A user's shell: the project's venv first, system tools after, no variable of ours."""
    return {
        "PATH": os.pathsep.join([venv_bin, "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": str(home),
        "LANG": "C.UTF-8",
        "PWD": str(project),
        "ANSIBLE_HOME": str(home / ".ansible"),
        "ANSIBLE_COLLECTIONS_PATH": str(project / "collections"),
        "ANSIBLE_NOCOLOR": "1",
        "PYTHONDONTWRITEBYTECODE": "1",
        **{k: v for k, v in os.environ.items() if k.startswith("DOCKER_")},
    }


def make_team_project(root: str, tarball: Path, where: Path) -> TeamProject:
    """An empty project under where (outside root), its venv, the tarball installed into it."""
    project, home, venv = where / "team", where / "home", where / "venv"
    project.mkdir()
    home.mkdir()
    with tarfile.open(tarball) as tar:
        (where / "requirements.txt").write_bytes(  # lower bounds, as shipped
            tar.extractfile("requirements.txt").read())
    with open(os.path.join(root, "requirements-test.txt"), "rb") as handle:  # the tested pins
        (where / "constraints.txt").write_bytes(handle.read())
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", str(venv)], check=True, capture_output=True)
    venv_bin = str(venv / "bin")
    env = _clean_env(project, venv_bin, home)
    if any(root in value for value in env.values()):
        raise AssertionError("the team's environment names the clone: %s" % env)
    subprocess.run([os.path.join(venv_bin, "pip"), "install", "-q", "--disable-pip-version-check",
                    "-r", str(where / "requirements.txt"), "-c", str(where / "constraints.txt")],
                   env=env, check=True, capture_output=True, timeout=600)
    subprocess.run([os.path.join(venv_bin, "ansible-galaxy"), "collection", "install",
                    str(tarball), "-p", str(project / "collections")], cwd=str(project),
                   env=env, check=True, capture_output=True)
    return TeamProject(project, venv_bin, env)
