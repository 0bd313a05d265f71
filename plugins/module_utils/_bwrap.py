# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardened profile under bubblewrap: the engine-less runtime (issue 19).

bwrap has no images, no inspect document and no resource limits of its own, so a run is made of
host objects this module creates and removes itself, each recorded with the boundary it gives:

- the run directory's `<identity>/rootfs/` holds the static probe; the sandbox's root is an
  empty tmpfs with the probe, /in (read-only), /out and /tmp bound in, then remounted read-only;
- /tmp is a host tmpfs mounted noexec,nosuid,nodev by the run (a bind keeps the flags: bwrap's
  own --tmpfs has no noexec);
- pids, memory and cpu ceilings come from a cgroup (v1) the run creates and removes; where no
  writable cgroup hierarchy exists, rlimits stand in and the record says what they bound;
- the seccomp filter is the shipped profile compiled to BPF at build time (files/seccomp/,
  src/seccomp/compile_bpf.py), checked against its digest and passed as `--seccomp FD`;
- the workload identity starts bwrap as its own host uid through setpriv: bwrap launched as
  root with `--uid 65532` leaves root-owned files on the host (measured, issue 19), through
  setpriv they are 65532's. The root identity starts it as root.

Directories are handed to bwrap as O_PATH descriptors (--ro-bind-fd/--bind-fd), opened by root;
bwrap still walks their paths as the calling uid, so the directories above them are
search-only (0711) for other uids, never listable.
Measured figures: docs/bwrap-facts.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import resource
import subprocess
import time
from dataclasses import dataclass, field

from ansible_collections.sandbox.attest.plugins.module_utils import _profile

RUNTIME = "bwrap"
BWRAP = "bwrap"
SETPRIV = "setpriv"
MOUNT = "mount"
UMOUNT = "umount"
PROBE_NAME = "sandbox-probe"
PROBE_INSIDE = "/" + PROBE_NAME
CGROUP_ROOT = "/sys/fs/cgroup"
# The v1 controllers whose limits the profile sets (pids, memory, cpu), as Docker's flags do.
CGROUP_CONTROLLERS = ("pids", "memory", "cpu")
CPU_PERIOD_US = 100000
# Probe output is a few KiB; anything far beyond is not the shipped probe's and is cut.
MAX_OUTPUT_BYTES = 1 << 20


class BwrapError(RuntimeError):
    """The host cannot run the bwrap profile as stated; never a weaker run instead."""


@dataclass
class Sandbox:
    """What one identity's run prepared on the host; teardown() removes all of it."""

    run_dir: str
    identity: str
    uid: int
    gid: int
    paths: dict[str, str]
    seccomp: dict[str, str]
    limits: dict[str, int]
    fds: dict[str, int] = field(default_factory=dict)
    cgroups: dict[str, str] = field(default_factory=dict)
    rlimits: dict[str, int] = field(default_factory=dict)
    ceilings: list[dict] = field(default_factory=list)
    mounts: list[str] = field(default_factory=list)


def machine_arch() -> str:
    """The filter's architecture name for this host (files/seccomp/<profile>-<arch>.bpf)."""
    return os.uname().machine


def seccomp_filter(manifest_path: str, profile: str, arch: str) -> dict[str, str]:
    """The shipped BPF filter of `profile` for `arch`: its path and expected digest from the
    build's manifest (files/seccomp/manifest.json). BwrapError when none was built."""
    with open(manifest_path, encoding="ascii") as handle:
        manifest = json.load(handle)
    info = manifest.get("filters", {}).get(profile, {}).get(arch)
    if not isinstance(info, dict):
        raise BwrapError("no %s seccomp filter for %s in %s" % (profile, arch, manifest_path))
    return {"path": os.path.join(os.path.dirname(manifest_path), info["file"]),
            "sha256": info["sha256"], "profile": profile, "arch": arch,
            "profile_sha256": info["profile_sha256"], "libseccomp": manifest.get("libseccomp")}


def layout(run_root: str, run_id: str, identity: str, seccomp_profile: str) -> dict[str, str]:
    """The run directory as the profile lays it out, plus bwrap's own parts per identity."""
    paths = _profile.run_paths(_profile.check_run_root(run_root), run_id, identity,
                               seccomp_profile)
    base = os.path.dirname(paths["in"])
    paths["rootfs"] = os.path.join(base, "rootfs")
    paths["probe"] = os.path.join(base, "rootfs", PROBE_NAME)
    paths["tmp"] = os.path.join(base, "tmp")
    return paths


def cgroup_name(run_id: str, identity: str) -> str:
    return "%s%s-%s" % (_profile.CONTAINER_NAME_PREFIX, _profile.check_run_id(run_id), identity)


def _mountinfo() -> list[list[str]]:
    with open("/proc/self/mountinfo", encoding="utf-8") as handle:
        return [line.split() for line in handle]


def mount_options(path: str) -> dict[str, str] | None:
    """fstype and the mount's and the superblock's options of the mount at `path`, as the
    kernel reports them (the evidence of /tmp's noexec), or None when nothing is mounted there."""
    found = None
    for parts in _mountinfo():
        if parts[4] == path:
            sep = parts.index("-")
            found = {"fstype": parts[sep + 1], "mount_options": parts[5],
                     "super_options": parts[sep + 3]}
    return found


def cgroup_v1_hierarchies() -> dict[str, str]:
    """controller -> mount point of each v1 hierarchy of CGROUP_CONTROLLERS this host mounts."""
    found: dict[str, str] = {}
    for parts in _mountinfo():
        sep = parts.index("-")
        if parts[sep + 1] != "cgroup":
            continue
        options = parts[sep + 3].split(",")
        for controller in CGROUP_CONTROLLERS:
            if controller in options and controller not in found:
                found[controller] = parts[4]
    return found


def _write(path: str, value: str) -> None:
    with open(path, "w", encoding="ascii") as handle:
        handle.write(value)


def _read(path: str) -> str:
    with open(path, encoding="ascii") as handle:
        return handle.read().strip()


def _cgroup_settings(limits: dict[str, int], controller: str, path: str) -> dict[str, str]:
    """The files to write in one controller's cgroup, in order (memsw after the memory limit:
    the kernel refuses memsw below it), and only those the host has."""
    memory = str(limits["memory_mb"] * 1024 * 1024)
    wanted = {
        "pids": [("pids.max", str(limits["pids"]))],
        "memory": [("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory)],
        "cpu": [("cpu.cfs_period_us", str(CPU_PERIOD_US)),
                ("cpu.cfs_quota_us", str(limits["cpus_milli"] * CPU_PERIOD_US // 1000))],
    }[controller]
    return {name: value for name, value in wanted if os.path.exists(os.path.join(path, name))}


BOUNDARIES = {
    "pids.max": "every process of the sandbox, both identities (cgroup v1 pids)",
    "memory.limit_in_bytes": "the sandbox's memory, all its processes (cgroup v1 memory)",
    "memory.memsw.limit_in_bytes": "the sandbox's memory and swap together (cgroup v1 memory)",
    "cpu.cfs_period_us": "the sandbox's cpu time per period (cgroup v1 cfs)",
    "cpu.cfs_quota_us": "the sandbox's cpu time per period (cgroup v1 cfs)",
    "RLIMIT_NPROC": "processes of the uid on the whole host, not only the sandbox's; never "
                    "binds uid 0 (the kernel exempts root), so no pids ceiling for root",
    "RLIMIT_AS": "the address space of each process, not the sandbox's total",
}


def create_cgroups(sandbox: Sandbox, name: str) -> None:
    """A cgroup named `name` in each v1 hierarchy, with the profile's limits; recorded in
    sandbox.cgroups/ceilings. A hierarchy that is absent or not writable is recorded as such and
    left to the rlimits (apply_rlimits_fallback): the run never pretends to a ceiling."""
    hierarchies = cgroup_v1_hierarchies()
    for controller in CGROUP_CONTROLLERS:
        if controller not in hierarchies:
            sandbox.ceilings.append({"controller": controller, "by": None,
                                     "reason": "no cgroup v1 %s hierarchy" % controller})
            continue
        path = os.path.join(hierarchies[controller], name)
        try:
            os.mkdir(path, 0o755)
        except OSError as exc:
            sandbox.ceilings.append({"controller": controller, "by": None,
                                     "reason": "cannot create %s: %s" % (path, exc.strerror)})
            continue
        sandbox.cgroups[controller] = path
        for file_name, value in _cgroup_settings(sandbox.limits, controller, path).items():
            _write(os.path.join(path, file_name), value)
            sandbox.ceilings.append({"controller": controller, "by": "cgroup",
                                     "file": os.path.join(path, file_name),
                                     "value": _read(os.path.join(path, file_name)),
                                     "boundary": BOUNDARIES[file_name]})


def apply_rlimits_fallback(sandbox: Sandbox) -> None:
    """rlimits for the ceilings no cgroup gives (set in the child before setpriv runs)."""
    if "pids" not in sandbox.cgroups:
        sandbox.rlimits["RLIMIT_NPROC"] = sandbox.limits["pids"]
    if "memory" not in sandbox.cgroups:
        sandbox.rlimits["RLIMIT_AS"] = sandbox.limits["memory_mb"] * 1024 * 1024
    for name, value in sandbox.rlimits.items():
        sandbox.ceilings.append({"controller": name, "by": "rlimit", "value": str(value),
                                 "boundary": BOUNDARIES[name]})


def _sha256_file(path: str) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 16), b""):
            digest.update(chunk)
    return digest.hexdigest()


def _mkdir(path: str, mode: int, uid: int = 0, gid: int = 0) -> None:
    os.mkdir(path, mode)
    os.chown(path, uid, gid)
    os.chmod(path, mode)  # mkdir's mode is masked by the umask


def prepare(run_root: str, run_id: str, identity: str, probe_path: str,
            seccomp: dict[str, str], limits: dict[str, int]) -> Sandbox:
    """Create one identity's run directory, tmpfs and cgroup, and open the descriptors bwrap
    binds from. The run directory must not exist for this identity yet. On any failure all
    that was made is removed again (teardown) before the error is raised."""
    if identity not in _profile.IDENTITIES:
        raise BwrapError("unknown identity %r" % identity)
    ids = _profile.IDENTITIES[identity]
    paths = layout(run_root, run_id, identity, seccomp["profile"])
    sandbox = Sandbox(run_dir=paths["run_dir"], identity=identity, uid=ids["uid"],
                      gid=ids["gid"], paths=paths, seccomp=dict(seccomp),
                      limits=_profile.resolve_limits(limits))
    try:
        _prepare(sandbox, run_id, probe_path)
    except BaseException:
        teardown(sandbox)
        raise
    return sandbox


def _prepare(sandbox: Sandbox, run_id: str, probe_path: str) -> None:
    paths = sandbox.paths
    # bwrap turns a --bind-fd back into the path it names and walks that path as the calling
    # uid (measured: under a 0700 parent, uid 65532 gets "Can't find source path
    # /proc/self/fd/6: Permission denied"). So the run root, the run directory and the
    # identity's directory are search-only for others (0711): the workload's uid can pass
    # through, not list; every directory it may write stays its own.
    run_root = os.path.dirname(paths["run_dir"])
    os.makedirs(run_root, mode=0o711, exist_ok=True)
    if not os.stat(run_root).st_mode & 0o001:
        raise BwrapError("run root %s is not searchable by other uids (o+x): bwrap as uid %d "
                         "cannot reach its binds below it" % (run_root, sandbox.uid))
    if not os.path.isdir(paths["run_dir"]):
        _mkdir(paths["run_dir"], 0o711)
    base = os.path.dirname(paths["in"])
    _mkdir(base, 0o711)
    _mkdir(paths["in"], 0o755)
    _mkdir(paths["out"], 0o700, sandbox.uid, sandbox.gid)
    _mkdir(paths["rootfs"], 0o755)
    _mkdir(paths["tmp"], 0o700)
    with open(probe_path, "rb") as source, open(paths["probe"], "xb") as target:
        target.write(source.read())
    os.chmod(paths["probe"], 0o555)  # noqa: S103 - every uid runs the probe, none writes it
    # The scratch space: a tmpfs of the profile's size, noexec,nosuid,nodev, owned by the
    # identity; bwrap binds it on /tmp and the bind keeps these flags.
    size = "size=%dm" % sandbox.limits["tmpfs_tmp_mb"]
    options = ",".join([*_profile.TMPFS_TMP_OPTIONS, size, "mode=0700",
                        "uid=%d" % sandbox.uid, "gid=%d" % sandbox.gid])
    subprocess.run([MOUNT, "-t", "tmpfs", "-o", options, "sandbox-attest-tmp", paths["tmp"]],
                   check=True, capture_output=True, timeout=30)
    sandbox.mounts.append(paths["tmp"])
    # The filter: the shipped bytes, or no run (a changed file is not the profile).
    actual = _sha256_file(sandbox.seccomp["path"])
    if actual != sandbox.seccomp["sha256"]:
        raise BwrapError("seccomp filter %s has sha256 %s, the build recorded %s" % (
            sandbox.seccomp["path"], actual, sandbox.seccomp["sha256"]))
    create_cgroups(sandbox, cgroup_name(run_id, sandbox.identity))
    apply_rlimits_fallback(sandbox)
    # O_PATH descriptors are enough for a bind, and need no permission on the directories
    # above; the filter is read by bwrap, so that one is opened for reading.
    for key in ("in", "out", "tmp", "probe"):
        sandbox.fds[key] = os.open(paths[key], os.O_PATH | os.O_CLOEXEC)
    sandbox.fds["seccomp"] = os.open(sandbox.seccomp["path"], os.O_RDONLY | os.O_CLOEXEC)


def launcher_argv(sandbox: Sandbox) -> list[str]:
    """What starts bwrap: setpriv to the identity's host uid and gid (no supplementary groups)
    for a non-root identity, nothing for root."""
    if sandbox.uid == 0:
        return []
    return [SETPRIV, "--reuid=%d" % sandbox.uid, "--regid=%d" % sandbox.gid,
            "--clear-groups", "--"]


def bwrap_argv(sandbox: Sandbox) -> list[str]:
    """The bwrap argv of the hardened profile, descriptors by number (they are inherited)."""
    fds = sandbox.fds
    return [
        BWRAP,
        # user, ipc, pid, net, uts and cgroup namespaces (user and cgroup where the kernel has
        # them); the probe is the new PID namespace's PID 1 itself (it refuses to run otherwise)
        "--unshare-all",
        "--as-pid-1",
        "--die-with-parent",
        "--new-session",
        "--clearenv",
        "--cap-drop", "ALL",
        # root: an empty tmpfs, the probe and the binds in it, then read-only
        "--tmpfs", "/",
        "--ro-bind-fd", str(fds["probe"]), PROBE_INSIDE,
        "--proc", "/proc",
        "--dev", "/dev",
        "--ro-bind-fd", str(fds["in"]), "/in",
        "--bind-fd", str(fds["out"]), "/out",
        "--bind-fd", str(fds["tmp"]), _profile.TMPFS_TMP_TARGET,
        "--remount-ro", "/",
        "--chdir", "/",
        "--seccomp", str(fds["seccomp"]),
        PROBE_INSIDE,
    ]


def argv(sandbox: Sandbox) -> list[str]:
    """The full argv of one run, as recorded in the evidence."""
    return launcher_argv(sandbox) + bwrap_argv(sandbox)


def _child_setup(sandbox: Sandbox):
    """preexec_fn: join the run's cgroups and set the fallback rlimits, before setpriv and bwrap
    run, so that every process of the sandbox is counted from its first fork."""
    cgroups = list(sandbox.cgroups.values())
    limits = [(getattr(resource, name), value) for name, value in sandbox.rlimits.items()]

    def setup() -> None:
        for path in cgroups:
            _write(os.path.join(path, "cgroup.procs"), str(os.getpid()))
        for which, value in limits:
            resource.setrlimit(which, (value, value))

    return setup


def execute(sandbox: Sandbox, run_argv: list[str]) -> dict:
    """Run `run_argv` (argv(sandbox), or a test's weakening of it) once; its record."""
    started = time.monotonic()
    proc = subprocess.Popen(  # an argv, never a shell
        run_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=tuple(sandbox.fds.values()), preexec_fn=_child_setup(sandbox),
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, close_fds=True)
    try:
        stdout, stderr = proc.communicate(timeout=sandbox.limits["timeout_s"])
        timed_out = False
    except subprocess.TimeoutExpired:
        # --die-with-parent: the sandbox dies with bwrap
        proc.kill()
        stdout, stderr = proc.communicate()
        timed_out = True
    return {
        "argv": list(run_argv),
        "rc": proc.returncode,
        "timed_out": timed_out,
        "elapsed_ms": int((time.monotonic() - started) * 1000),
        "stdout": stdout[:MAX_OUTPUT_BYTES].decode("utf-8", "replace"),
        "stdout_truncated": len(stdout) > MAX_OUTPUT_BYTES,
        "stderr": stderr[-4096:].decode("utf-8", "replace"),
        "cgroup_stats": cgroup_stats(sandbox),
    }


def cgroup_stats(sandbox: Sandbox) -> dict[str, str]:
    """What the run's cgroups counted (pids.events' max: forks refused at the ceiling)."""
    stats = {}
    for controller, name in (("pids", "pids.events"), ("memory", "memory.max_usage_in_bytes"),
                             ("memory", "memory.failcnt")):
        path = os.path.join(sandbox.cgroups.get(controller, "/nonexistent"), name)
        if os.path.exists(path):
            stats[name] = _read(path)
    return stats


def facts(sandbox: Sandbox) -> dict:
    """The run's static evidence: argv, filter, ceilings and the /tmp mount as read back."""
    return {
        "runtime": RUNTIME,
        "identity": sandbox.identity,
        "uid": sandbox.uid,
        "argv": argv(sandbox),
        "seccomp": dict(sandbox.seccomp),
        "ceilings": list(sandbox.ceilings),
        "tmp_mount": mount_options(sandbox.paths["tmp"]),
    }


def _remove_cgroup(path: str) -> None:
    # The PID namespace's init (the probe) took every process with it; an exiting task may
    # still be listed for a moment, so the removal is retried briefly.
    for _attempt in range(50):
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            for pid in _read(os.path.join(path, "cgroup.procs")).split():
                try:
                    os.kill(int(pid), 9)
                except ProcessLookupError:
                    pass
            time.sleep(0.02)
    os.rmdir(path)


def teardown(sandbox: Sandbox) -> list[str]:
    """Remove everything prepare() made: descriptors, cgroups, the tmpfs mount, the identity's
    run directory (the run directory too once it is empty). The problems, each in words."""
    problems = []
    for fd in sandbox.fds.values():
        os.close(fd)
    sandbox.fds.clear()
    for path in list(sandbox.cgroups.values()):
        try:
            _remove_cgroup(path)
        except OSError as exc:
            problems.append("cgroup %s: %s" % (path, exc.strerror))
    sandbox.cgroups.clear()
    for path in reversed(sandbox.mounts):
        done = subprocess.run([UMOUNT, path], capture_output=True, timeout=30, check=False)
        if done.returncode != 0:
            problems.append("umount %s: %s" % (path, done.stderr.decode(errors="replace")))
    sandbox.mounts.clear()
    base = os.path.dirname(sandbox.paths["in"])
    if os.path.isdir(base) and mount_options(sandbox.paths["tmp"]) is None:
        _remove_tree(base)
    try:
        os.rmdir(sandbox.run_dir)
    except OSError:
        pass  # the other identity's directory is still there
    return problems


def _remove_tree(path: str) -> None:
    """Remove a directory the sandbox wrote into, never following a link it planted, and never
    crossing into another filesystem (a mount left behind is a problem, not something to empty)."""
    device = os.lstat(path).st_dev
    for root, dirs, files in os.walk(path, topdown=False):
        for name in files:
            os.unlink(os.path.join(root, name))
        for name in dirs:
            full = os.path.join(root, name)
            if os.path.islink(full):
                os.unlink(full)
            elif os.lstat(full).st_dev == device:
                os.rmdir(full)
    os.rmdir(path)
