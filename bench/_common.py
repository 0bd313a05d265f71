# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What the benches share: timing a child (and the memory of its process tree), the
attestation playbook, the operator packet, medians, and stopping children on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "tests", "integration"))
sys.path.insert(0, os.path.join(ROOT, "collections"))

from harness import playbook_env  # noqa: E402

VENV_BIN = os.path.join(ROOT, ".venv", "bin")
PLAYBOOK = os.path.join(VENV_BIN, "ansible-playbook")
# The child being timed: on Ctrl-C it is given time to remove what its run made (attest.yml's
# interrupt_cleanup callback, the packet script's trap) before the bench's own things go.
CURRENT: list[subprocess.Popen] = []


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry, encoding="ascii", errors="replace") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        tree.setdefault(int(fields[1]), []).append(int(entry))
    return tree


def _marked(marker: str) -> list[int]:
    """The processes whose command line holds `marker`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/cmdline" % entry, "rb") as handle:
                if marker.encode() in handle.read():
                    found.append(int(entry))
        except OSError:
            continue
    return found


def tree_pss_kib(pid: int, marker: str | None = None) -> int:
    """The sum of PSS over a process and its descendants (what they cost together: shared
    pages counted once, split among their users), and over the processes whose command line
    holds `marker` (ssh's ControlPersist masters daemonise out of the tree)."""
    tree, total, todo, seen = _children(), 0, [pid, *(_marked(marker) if marker else ())], set()
    while todo:
        current = todo.pop()
        if current in seen:
            continue
        seen.add(current)
        todo.extend(tree.get(current, ()))
        try:
            with open("/proc/%d/smaps_rollup" % current, encoding="ascii") as handle:
                for line in handle:
                    if line.startswith("Pss:"):
                        total += int(line.split()[1])
                        break
        except OSError:
            continue
    return total


class PeakPss:
    """Samples tree_pss_kib of a child every `interval` seconds while it runs."""

    def __init__(self, pid: int, interval: float = 0.05, marker: str | None = None) -> None:
        self.pid, self.interval, self.peak_kib, self.marker = pid, interval, 0, marker
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._thread.start()

    def _sample(self) -> None:
        while not self._stop.is_set():
            self.peak_kib = max(self.peak_kib, tree_pss_kib(self.pid, self.marker))
            self._stop.wait(self.interval)

    def stop(self) -> int:
        self._stop.set()
        self._thread.join()
        return self.peak_kib


def timed(argv: list[str], memory: bool = False, marker: str | None = None,
          **kwargs) -> tuple[float, subprocess.CompletedProcess, int]:
    """(wall seconds, the completed child with its output, peak PSS of its tree in KiB or 0;
    with `marker`, of the processes whose command line holds it too)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kwargs)
    CURRENT.append(proc)
    sampler = PeakPss(proc.pid, marker=marker) if memory else None
    try:
        output, dummy = proc.communicate(timeout=1800)
    finally:
        CURRENT.remove(proc)
        peak = sampler.stop() if sampler else 0
    elapsed = time.monotonic() - start
    return elapsed, subprocess.CompletedProcess(argv, proc.returncode,
                                                output.decode("utf-8", "replace"), ""), peak


def ansible_env(work: str) -> dict[str, str]:
    """The tests' environment, with this repository's venv first whatever python runs this."""
    env = playbook_env(work)
    env["PATH"] = VENV_BIN + os.pathsep + env["PATH"]
    return env


def attest_once(work: str, *extra: str, inventory: str = "inventories/local",
                memory: bool = False, env: dict[str, str] | None = None,
                marker: str | None = None) -> tuple[float, str | None, int]:
    """One attestation (playbooks/attest.yml) into a fresh evidence root, removed after."""
    evidence = tempfile.mkdtemp(prefix="evidence-", dir=work)
    elapsed, proc, peak = timed(
        [PLAYBOOK, os.path.join(ROOT, "playbooks", "attest.yml"), "-i", inventory, "-e",
         "sandbox_attest_evidence_root=%s" % evidence, *extra],
        memory=memory, marker=marker, cwd=ROOT, env=env or ansible_env(work))
    shutil.rmtree(evidence, ignore_errors=True)
    return elapsed, None if proc.returncode == 0 else proc.stdout[-1500:], peak


def render_packet(work: str) -> str:
    dest = os.path.join(work, "packets")
    result = subprocess.run([PLAYBOOK, os.path.join(ROOT, "playbooks", "packet.yml"), "-i",
                             "inventories/local", "-e", "sandbox_attest_venue=local", "-e",
                             "sandbox_attest_packet_dest=%s" % dest],
                            cwd=ROOT, env=ansible_env(work),
                            capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError("packet.yml failed: %s" % result.stdout[-2000:])
    found = [p for p in os.listdir(dest) if not p.endswith(".tar.gz")]
    return os.path.join(dest, found[0])


def packet_once(work: str, packet: str, keep: bool = False) -> tuple[float, str | None, str]:
    """The packet's script once: (seconds, failure, its output directory; removed unless kept)."""
    out = tempfile.mkdtemp(prefix="packet-out-", dir=work)
    elapsed, proc, dummy = timed(["sh", os.path.join(packet, "attest.sh"), out])
    if not keep:
        shutil.rmtree(out, ignore_errors=True)
    return elapsed, None if proc.returncode == 0 else proc.stdout[-1500:], out


def median_of(runs: int, once, *args) -> tuple[float, list[str]]:
    """The median of runs timed runs, after one warm-up run whose time is not counted. `once`
    returns (seconds, failure or None, ...)."""
    times, failures = [], []
    for run in range(runs + 1):
        elapsed, failure = once(*args)[:2]
        if failure:
            failures.append(failure)
        if run:
            times.append(elapsed)
    return statistics.median(times), failures


def stop_children() -> None:
    for proc in list(CURRENT):
        try:
            proc.wait(timeout=120)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def interrupted(signum, frame) -> None:
    raise KeyboardInterrupt
