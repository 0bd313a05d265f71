"""Helpers the integration tests share: the real engine CLI, the real playbooks, our own labels.

Everything a test creates carries TEST_LABEL and is removed by its id; nothing is ever matched
by a broad pattern, so other work on the same engine is never touched.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
VENV_BIN = os.path.dirname(sys.executable)
TEST_LABEL = "sandbox.attest.test"
RUN_ROOT = "/var/lib/sandbox-attest"


def docker(*args: str, check: bool = True, timeout: float = 120) -> str:
    proc = subprocess.run(["docker", *args], capture_output=True, text=True, timeout=timeout,
                          check=False)
    if check and proc.returncode != 0:
        raise AssertionError("docker %s failed: %s" % (" ".join(args[:3]), proc.stderr))
    return proc.stdout


def inspect(ref: str) -> dict:
    return json.loads(docker("inspect", ref))[0]


def engine_objects() -> dict[str, set[str]]:
    """Every container, network, volume and image ID the engine holds now."""
    return {
        "containers": set(docker("ps", "-aq", "--no-trunc").split()),
        "networks": set(docker("network", "ls", "-q", "--no-trunc").split()),
        "volumes": set(docker("volume", "ls", "-q").split()),
        "images": set(docker("image", "ls", "-aq", "--no-trunc").split()),
    }


def as_a_terminal_job() -> None:
    """preexec_fn of a child that a test interrupts as Ctrl-C would: SIGINT and SIGQUIT at their
    defaults, as an interactive shell starts its jobs. A suite started in the background of a
    non-interactive shell inherits both ignored, and a shell cannot trap a signal it was started
    ignoring (POSIX): the packet script's cleanup would never run (measured: both SIGINT cases
    of test_packet ran to their 120 s timeout when .ci/run was started that way)."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


def playbook_env(tmp_home: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update({
        "ANSIBLE_HOME": os.path.join(tmp_home, "ansible-home"),
        "ANSIBLE_LOCAL_TEMP": os.path.join(tmp_home, "ansible-tmp"),
        "ANSIBLE_CONFIG": os.path.join(ROOT, "ansible.cfg"),
        "ANSIBLE_FORCE_COLOR": "0",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": VENV_BIN + os.pathsep + env.get("PATH", ""),
    })
    return env


def run_playbook(playbook: str, inventory: str, tmp_home: str, *extra: str,
                 timeout: float = 600, env: dict[str, str] | None = None,
                 ) -> subprocess.CompletedProcess:
    argv = [os.path.join(VENV_BIN, "ansible-playbook"), os.path.join(ROOT, "playbooks", playbook),
            "-i", inventory, *extra]
    return subprocess.run(argv, cwd=ROOT, env={**playbook_env(tmp_home), **(env or {})},
                          capture_output=True, text=True, timeout=timeout, check=False)


def verify_bundle(tmp_path, bundle: str, inventory: str = "inventories/local") -> dict:
    """playbooks/verify.yml on `bundle` with `inventory`, as a reviewer runs it: its
    verdict.json, with its report.md under "report"."""
    dest = tempfile.mkdtemp(prefix="verification-", dir=str(tmp_path))
    result = run_playbook("verify.yml", inventory, str(tmp_path),
                          "-e", "sandbox_attest_bundle=%s" % bundle,
                          "-e", "sandbox_attest_verification_dest=%s" % dest)
    assert result.returncode == 0, result.stdout[-4000:]
    with open(os.path.join(dest, "verdict.json"), encoding="utf-8") as handle:
        verdict = json.load(handle)
    with open(os.path.join(dest, "report.md"), encoding="utf-8") as handle:
        verdict["report"] = handle.read()
    return verdict


def bundles_under(evidence_root: str, host: str = "local") -> list[str]:
    base = os.path.join(evidence_root, host)
    if not os.path.isdir(base):
        return []
    return sorted(os.path.join(base, name) for name in os.listdir(base)
                  if os.path.isdir(os.path.join(base, name)))


def run_dirs() -> set[str]:
    return set(os.listdir(RUN_ROOT)) if os.path.isdir(RUN_ROOT) else set()


def run_containers() -> list[str]:
    return docker("ps", "-aq", "--no-trunc", "--filter", "label=sandbox.attest.run-id").split()


def machine_fingerprint() -> str:
    import hashlib
    with open("/etc/machine-id", encoding="ascii") as handle:
        machine_id = handle.read().strip()
    engine_id = docker("info", "--format", "{{.ID}}").strip()
    # The venue fingerprint's method (module_utils/_facts.py fingerprint_of), written out.
    machine_sha = hashlib.sha256(machine_id.encode()).hexdigest()
    return "sha256:" + hashlib.sha256(("%s\n%s\n" % (machine_sha, engine_id)).encode()).hexdigest()


def exists(ref: str, kind: str = "image") -> bool:
    proc = subprocess.run(["docker", kind, "inspect", ref], capture_output=True, timeout=60,
                          check=False)
    return proc.returncode == 0
