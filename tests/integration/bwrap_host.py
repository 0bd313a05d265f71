"""One bubblewrap test host for the integration tests: the probe under module_utils/_bwrap.

The host is a container of this machine's Docker engine made from the image
`molecule/_shared/vps-image-bwrap` builds (Debian 12, bubblewrap 0.8, util-linux's setpriv,
Python 3, no container engine), on no network of Docker's, labelled and removed by its ID. bwrap
runs there, not on this machine: it is not installed here, and its runs create mounts and
cgroups that belong in a host of their own (docs/bwrap-facts.md, "Where the tests run").

Each run is tests/integration/bwrap_in_host.py under the host's python3, with the collection's
module_utils, the probe and the compiled seccomp filters copied in: the product's own code on a
host with no engine, as a target would run it.
"""

from __future__ import annotations

import itertools
import json
import os
import subprocess

from harness import ROOT, TEST_LABEL, docker

IMAGE_BUILD = os.path.join(ROOT, "molecule", "_shared", "vps-image-bwrap", "build.sh")
# One build at a time on this machine (a second caller waits, then finds the cache).
BUILD_LOCK = "/tmp/sandbox-attest-bwrap-build.lock"  # noqa: S108
IN_HOST = os.path.join(ROOT, "tests", "integration", "bwrap_in_host.py")
PYTHONPATH = "/attest/python"
RUN_ROOT = "/var/lib/sandbox-attest"
# The host's privileges: SYS_ADMIN for its init to remount the cgroup hierarchies writable;
# NET_ADMIN to give it a dummy default route (below); no seccomp filter of the outer engine
# (bwrap needs unshare(CLONE_NEWUSER) and mount in its namespaces) and an unmasked /proc (a
# user namespace may mount a new proc only where no path of it is covered); SYS_PTRACE, which
# a real host's root has, to read the namespaces of the workload's sandbox (another uid's
# process: /proc/PID/ns is behind a ptrace access check) for _bwrap.view().
HOST_OPTIONS = ["--init", "--network", "none", "--cap-add", "SYS_ADMIN", "--cap-add",
                "NET_ADMIN", "--cap-add", "SYS_PTRACE", "--security-opt", "seccomp=unconfined",
                "--security-opt", "systempaths=unconfined"]
# A default route into a veth pair whose both ends stay in the host's own network namespace
# (on --network none: it has no other way out; this kernel has no dummy driver): a network
# weakening then has a route to show, and anything routed there could only reach the pair's
# other end. The probe sends nothing anyway (UDP connect() only).
NETWORK_SETUP = ("ip link add attest0 type veth peer name attest1 && "
                 "ip addr add 10.254.0.1/24 dev attest0 && ip link set attest0 up && "
                 "ip link set attest1 up && ip route add default dev attest0")


# Remount each cgroup hierarchy read-only (in the caller's own mount namespace).
READ_ONLY_CGROUPS = ("for h in /sys/fs/cgroup/*; do if [ -d \"$h\" ] && [ ! -L \"$h\" ] && "
                     "mountpoint -q \"$h\"; then mount -o remount,ro,bind \"$h\"; fi; done")


def host_image() -> str:
    """The image, built once or found cached (another caller may build it at the same time)."""
    proc = subprocess.run(["flock", BUILD_LOCK, IMAGE_BUILD],
                          capture_output=True, text=True, timeout=1800, check=True)
    return proc.stdout.strip().splitlines()[-1]


class BwrapHost:
    """A started bubblewrap test host with the collection's code, probe and filters in it."""

    def __init__(self) -> None:
        self.id = docker("create", *HOST_OPTIONS, "--label", "%s=bwrap-host" % TEST_LABEL,
                         host_image()).strip()
        self.runs = itertools.count(1)
        try:
            docker("start", self.id)
            self.exec("sh", "-c", NETWORK_SETUP)
            self.exec("sh", "-c", "mkdir -p %s/ansible_collections/sandbox/attest/plugins "
                      "/attest/files && install -d -m 0711 %s" % (PYTHONPATH, RUN_ROOT))
            docker("cp", os.path.join(ROOT, "plugins", "module_utils"),
                   "%s:%s/ansible_collections/sandbox/attest/plugins/" % (self.id, PYTHONPATH))
            docker("cp", os.path.join(ROOT, "files", "sandbox-probe"),
                   "%s:/attest/files/" % self.id)
            docker("cp", os.path.join(ROOT, "files", "seccomp"), "%s:/attest/files/" % self.id)
            docker("cp", IN_HOST, "%s:/attest/bwrap_in_host.py" % self.id)
        except BaseException:
            self.remove()
            raise

    def exec(self, *argv: str, check: bool = True, timeout: float = 120) -> str:
        proc = subprocess.run(["docker", "exec", self.id, *argv], capture_output=True,
                              text=True, timeout=timeout, check=False)
        if check and proc.returncode != 0:
            raise AssertionError("%s: rc %d: %s" % (argv, proc.returncode, proc.stderr[-2000:]))
        return proc.stdout

    def run(self, identity: str, seccomp: str = "targeted-deny",
            weakening: str | None = None, cgroups_read_only: bool = False,
            run_id: str | None = None) -> dict:
        """One run: the in-host record (facts, result, teardown) with the probe's lines by
        probe id under "lines". cgroups_read_only: the run sees every cgroup hierarchy
        read-only, as in a host that delegates none (a mount namespace of the run's own: the
        host's hierarchies stay as they are). run_id: another identity's run of the same run."""
        run_id = run_id or "20260101T000000Z-%08x" % next(self.runs)
        argv = ["env", "PYTHONPATH=%s" % PYTHONPATH, "python3", "/attest/bwrap_in_host.py",
                RUN_ROOT, run_id, identity, seccomp]
        if cgroups_read_only:
            argv = ["unshare", "--mount", "--propagation", "private", "sh", "-c",
                    READ_ONLY_CGROUPS + ' && exec "$@"', "sh", *argv]
        record = json.loads(self.exec(*argv, *([weakening] if weakening else [])))
        record["run_id"] = run_id
        record["lines"] = {line["probe"]: line for line in (
            json.loads(row) for row in record["result"]["stdout"].splitlines() if row.strip())}
        return record

    def leftovers(self) -> dict[str, str]:
        """What runs may leave on the host: run directories, cgroups and mounts of ours."""
        return {
            "run_root": self.exec("ls", "-A", RUN_ROOT),
            "cgroups": self.exec("sh", "-c", "ls -d /sys/fs/cgroup/*/sandbox-attest-* "
                                 "2>/dev/null || true"),
            "mounts": self.exec("sh", "-c", "grep sandbox-attest /proc/self/mountinfo || true"),
        }

    def remove(self) -> None:
        docker("rm", "--force", "--volumes", self.id, check=False)
