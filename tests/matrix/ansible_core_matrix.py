# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The ansible-core matrix behind meta/runtime.yml's requires_ansible (docs/installing.md).

    .venv/bin/python tests/matrix/ansible_core_matrix.py [2.16.19 2.17.14 2.18.19 2.19.14]

Outside `make test` (each release is a virtualenv of its own, about a minute). For each
release: a venv under a temporary directory with that ansible-core and requirements.txt at the
pins of requirements-test.txt, then from this clone the local rehearsal attestation
(`playbooks/attest.yml -i inventories/local`: every row PASS, PARTIAL for "rehearsal venue"
alone) and its `--check`. Prints one row per release; exits 1 when one failed. Another
session's engine activity in a run window makes the verdict name it, which says nothing about
ansible-core: such a run is retried once and the retry says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
RELEASES = ("2.16.19", "2.17.14", "2.18.19", "2.19.14")
EXPECTED_REASONS = ["rehearsal venue"]


def pins_without_ansible_core() -> str:
    with open(os.path.join(ROOT, "requirements-test.txt"), encoding="utf-8") as handle:
        return "".join(line for line in handle
                       if not line.startswith(("ansible-core", "-r")))


def make_venv(where: str, release: str) -> str:
    base_python = getattr(sys, "_base_executable", sys.executable)
    subprocess.run([base_python, "-m", "venv", where], check=True, capture_output=True)
    constraints = os.path.join(where, "constraints.txt")
    with open(constraints, "w", encoding="utf-8") as handle:
        handle.write(pins_without_ansible_core())
    subprocess.run([os.path.join(where, "bin", "pip"), "install", "-q",
                    "--disable-pip-version-check", "ansible-core==%s" % release,
                    "-r", os.path.join(ROOT, "requirements.txt"), "-c", constraints],
                   check=True, capture_output=True, timeout=900)
    return os.path.join(where, "bin")


def attest(venv_bin: str, work: str, *extra: str) -> tuple[subprocess.CompletedProcess, float]:
    env = dict(os.environ)
    env.update({"PATH": venv_bin + os.pathsep + env.get("PATH", ""),
                "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
                "ANSIBLE_HOME": os.path.join(work, "ansible-home"),
                "ANSIBLE_LOCAL_TEMP": os.path.join(work, "ansible-tmp"),
                "ANSIBLE_NOCOLOR": "1"})
    started = time.monotonic()
    result = subprocess.run([os.path.join(venv_bin, "ansible-playbook"),
                             os.path.join(ROOT, "playbooks", "attest.yml"), "-i",
                             "inventories/local", "-e",
                             "sandbox_attest_evidence_root=%s" % os.path.join(work, "evidence"),
                             *extra], cwd=ROOT, env=env, capture_output=True, text=True,
                            timeout=900, check=False)
    return result, time.monotonic() - started


def verdict_of(work: str) -> dict | None:
    base = os.path.join(work, "evidence", "local")
    runs = sorted(os.listdir(base)) if os.path.isdir(base) else []
    if not runs:
        return None
    with open(os.path.join(base, runs[-1], "verification", "verdict.json"),
              encoding="utf-8") as handle:
        return json.load(handle)


def one_release(release: str, work: str) -> tuple[bool, str]:
    venv_bin = make_venv(os.path.join(work, "venv"), release)
    version = subprocess.run([os.path.join(venv_bin, "ansible-playbook"), "--version"],
                             capture_output=True, text=True, check=True).stdout.split("\n")[0]
    if release not in version:
        return False, "the venv runs %s" % version
    notes = []
    for attempt in (1, 2):
        shutil.rmtree(os.path.join(work, "evidence"), ignore_errors=True)
        result, seconds = attest(venv_bin, work)
        verdict = verdict_of(work)
        reasons = verdict["reasons"] if verdict else None
        rows = {row["result"] for row in verdict["rows"]} if verdict else set()
        if result.returncode == 0 and reasons == EXPECTED_REASONS and rows == {"PASS"}:
            retried = " (retried)" if attempt == 2 else ""
            notes.append("%s, %s, %.0f s%s" % (verdict["status"], reasons[0], seconds, retried))
            break
        if attempt == 2:
            return False, "rc %d, reasons %s: %s" % (result.returncode, reasons,
                                                     result.stdout[-1500:])
    check, seconds = attest(venv_bin, work, "--check")
    if check.returncode != 0:
        return False, "--check rc %d: %s" % (check.returncode, check.stdout[-1500:])
    notes.append("--check passes, %.0f s" % seconds)
    return True, "; ".join(notes)


def main() -> int:
    releases = sys.argv[1:] or list(RELEASES)
    failed = False
    rows = []
    for release in releases:
        work = tempfile.mkdtemp(prefix="sandbox-attest-matrix-")
        try:
            ok, note = one_release(release, work)
        except subprocess.SubprocessError as exc:
            ok, note = False, "could not prepare: %s" % exc
        finally:
            shutil.rmtree(work, ignore_errors=True)
        failed = failed or not ok
        rows.append((release, "passes" if ok else "FAILS", note))
        print("%-10s %-7s %s" % rows[-1], flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
