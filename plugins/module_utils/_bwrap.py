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
  setpriv they are 65532's. The root identity goes through setpriv too, for --clear-groups;
- Docker's system paths are masked and made read-only in the sandbox's fresh /proc (bwrap
  itself covers only /proc/irq and /proc/bus, measured); /sys is not mounted at all;
- bwrap stops the sandbox once it is set up (--block-fd) until the run has read, from the
  host, what /proc shows of it (view()): namespaces, capabilities, cgroups and its mount table.

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
import select
import subprocess
import time
from dataclasses import dataclass, field

from ansible_collections.sandbox.attest.plugins.module_utils import _bundle_format, _profile
from ansible_collections.sandbox.attest.plugins.module_utils._engine import utc_now
from ansible_collections.sandbox.attest.plugins.module_utils._safe_read import read_expected

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
# Docker's baseline system paths under /proc (moby's OCI defaults, data/expectations.yml); its
# /sys/firmware has no counterpart: bwrap mounts no /sys in the sandbox. A path this kernel
# does not have is not made (bwrap cannot create a file in proc) and is recorded as absent.
MASKED_PATHS = ("/proc/asound", "/proc/acpi", "/proc/kcore", "/proc/keys",
                "/proc/latency_stats", "/proc/timer_list", "/proc/timer_stats",
                "/proc/sched_debug", "/proc/scsi")
READONLY_PATHS = ("/proc/bus", "/proc/fs", "/proc/irq", "/proc/sys", "/proc/sysrq-trigger")
# The file a masked /proc file is covered by (read-only): nothing to read (on the sandbox's
# nodev tmpfs root its open is refused outright, measured).
MASK_FILE = "/dev/null"
NAMESPACES = ("cgroup", "ipc", "mnt", "net", "pid", "user", "uts")
STATUS_FIELDS = ("Uid", "Gid", "Groups", "CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb",
                 "NoNewPrivs", "Seccomp", "NSpid")
# How long the sandbox may take to be set up before the run gives up on viewing it.
VIEW_TIMEOUT_S = 10.0
# The host's view of the sandbox is a few KiB; a mount table beyond this is cut and said so.
MAX_VIEW_LINES = 256


class BwrapError(RuntimeError):
    """The host cannot run the bwrap profile as stated; never a weaker run instead."""


@dataclass
class Sandbox:
    """What one identity's run prepared on the host; teardown() removes all of it."""

    run_dir: str
    identity: str
    hostname: str
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
    # sha256 of the probe as copied into the run's root: what bwrap binds and runs.
    probe_sha256: str | None = None
    # Docker's system paths as this kernel has them: masked/readonly (covered) and absent.
    system_paths: dict[str, list[str]] = field(default_factory=dict)
    # The run's ends of the --info-fd and --block-fd pipes (the sandbox's ends are in fds).
    control: dict[str, int] = field(default_factory=dict)


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


def cgroup_files(limits: dict[str, int]) -> dict[str, list[tuple[str, str]]]:
    """controller -> the files the profile's limits set in its cgroup and their values, in the
    order they are written (memsw after the memory limit: the kernel refuses memsw below it).
    The verifier expects the same values (findings/_profile_bwrap)."""
    memory = str(limits["memory_mb"] * 1024 * 1024)
    return {
        "pids": [("pids.max", str(limits["pids"]))],
        "memory": [("memory.limit_in_bytes", memory), ("memory.memsw.limit_in_bytes", memory)],
        "cpu": [("cpu.cfs_period_us", str(CPU_PERIOD_US)),
                ("cpu.cfs_quota_us", str(limits["cpus_milli"] * CPU_PERIOD_US // 1000))],
    }


def _cgroup_settings(limits: dict[str, int], controller: str, path: str) -> dict[str, str]:
    """The files to write in one controller's cgroup, in order, and only those the host has."""
    return {name: value for name, value in cgroup_files(limits)[controller]
            if os.path.exists(os.path.join(path, name))}


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


def system_paths(proc_root: str = "/proc") -> dict[str, list[str]]:
    """Docker's system paths this kernel has (its own /proc: the sandbox's fresh proc shows the
    same entries) and those it has not; a masked directory is covered by a read-only tmpfs, a
    file by MASK_FILE, a read-only path by a read-only bind of itself."""
    found: dict[str, list[str]] = {"masked": [], "masked_dirs": [], "readonly": [], "absent": []}
    for kind, paths in (("masked", MASKED_PATHS), ("readonly", READONLY_PATHS)):
        for path in paths:
            host_path = os.path.join(proc_root, os.path.relpath(path, "/proc"))
            if not os.path.lexists(host_path):
                found["absent"].append(path)
                continue
            found[kind].append(path)
            if kind == "masked" and os.path.isdir(host_path):
                found["masked_dirs"].append(path)
    return found


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
    sandbox = Sandbox(run_dir=paths["run_dir"], identity=identity,
                      hostname=cgroup_name(run_id, identity), uid=ids["uid"],
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
    sandbox.probe_sha256 = _sha256_file(paths["probe"])
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
    sandbox.system_paths = system_paths()
    # bwrap reports the sandbox's pid on the info pipe and waits on the block pipe, once set up,
    # before it applies the filter and runs the probe: the window in which view() reads it.
    info_read, info_write = os.pipe2(os.O_CLOEXEC)
    block_read, block_write = os.pipe2(os.O_CLOEXEC)
    sandbox.control.update(info=info_read, block=block_write)
    sandbox.fds.update(info=info_write, block=block_read)
    # O_PATH descriptors are enough for a bind, and need no permission on the directories
    # above; the filter is read by bwrap, so that one is opened for reading.
    for key in ("in", "out", "tmp", "probe"):
        sandbox.fds[key] = os.open(paths[key], os.O_PATH | os.O_CLOEXEC)
    sandbox.fds["seccomp"] = os.open(sandbox.seccomp["path"], os.O_RDONLY | os.O_CLOEXEC)


def launcher_argv(sandbox: Sandbox) -> list[str]:
    """What starts bwrap: setpriv to the identity's host uid and gid with no supplementary
    groups, root too (the attesting process's groups would otherwise go with the sandbox:
    measured, root's run showed Groups 0)."""
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
        # the new UTS namespace's name: the host's otherwise (it is copied at unshare)
        "--hostname", sandbox.hostname,
        "--cap-drop", "ALL",
        # root: an empty tmpfs, the probe and the binds in it, then read-only
        "--tmpfs", "/",
        "--ro-bind-fd", str(fds["probe"]), PROBE_INSIDE,
        "--proc", "/proc",
        *_system_path_options(sandbox.system_paths),
        "--dev", "/dev",
        "--ro-bind-fd", str(fds["in"]), "/in",
        "--bind-fd", str(fds["out"]), "/out",
        "--bind-fd", str(fds["tmp"]), _profile.TMPFS_TMP_TARGET,
        "--remount-ro", "/",
        "--chdir", "/",
        "--seccomp", str(fds["seccomp"]),
        "--info-fd", str(fds["info"]),
        "--block-fd", str(fds["block"]),
        PROBE_INSIDE,
    ]


def _system_path_options(paths: dict[str, list[str]]) -> list[str]:
    """bwrap options that mask and make read-only Docker's system paths in the new /proc (the
    sources of --ro-bind are the host's: its /dev/null, and its /proc's global entries)."""
    options: list[str] = []
    for path in paths.get("masked", []):
        if path in paths.get("masked_dirs", []):
            options += ["--tmpfs", path, "--remount-ro", path]
        else:
            options += ["--ro-bind", MASK_FILE, path]
    for path in paths.get("readonly", []):
        options += ["--ro-bind", path, path]
    return options


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
    started, started_at = time.monotonic(), utc_now()
    proc = subprocess.Popen(  # an argv, never a shell
        run_argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        pass_fds=tuple(sandbox.fds.values()), preexec_fn=_child_setup(sandbox),
        env={"PATH": "/usr/sbin:/usr/bin:/sbin:/bin"}, close_fds=True)
    # The sandbox's ends belong to bwrap now: an end kept here would hold the info pipe open.
    for key in ("info", "block"):
        os.close(sandbox.fds.pop(key))
    try:
        seen = view(sandbox)
    finally:
        # Release the sandbox (or, when bwrap died early, nothing is waiting): one byte.
        try:
            os.write(sandbox.control["block"], b"x")
        except BrokenPipeError:
            pass
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
        "started_at": started_at,
        "finished_at": utc_now(),
        "rc": proc.returncode,
        "timed_out": timed_out,
        "elapsed_ms": int((time.monotonic() - started) * 1000),
        "stdout": stdout[:MAX_OUTPUT_BYTES].decode("utf-8", "replace"),
        "stdout_truncated": len(stdout) > MAX_OUTPUT_BYTES,
        "stderr": stderr[-4096:].decode("utf-8", "replace"),
        "cgroup_stats": cgroup_stats(sandbox),
        "view": seen,
        "out": read_out(sandbox),
    }


def read_out(sandbox: Sandbox) -> dict:
    """What the probe left in out/, read as the engines' run_output reads it: the one expected
    name, bounded, no link followed; everything else only named as refused."""
    copied, refused = read_expected(sandbox.paths["out"], (_bundle_format.FETCH_NAME,),
                                    _bundle_format.FETCH_MAX_BYTES,
                                    _bundle_format.FETCH_MAX_ENTRIES)
    return {"copied": [{k: item[k] for k in ("name", "bytes", "sha256")} for item in copied],
            "refused": refused}


def _read_info(fd: int, deadline: float) -> dict | None:
    """bwrap's --info-fd JSON (child-pid and namespace ids), or None when bwrap closed it
    without one (it failed before the sandbox existed)."""
    data = b""
    while time.monotonic() < deadline:
        readable = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))[0]
        if not readable:
            break
        chunk = os.read(fd, 4096)
        if not chunk:
            break
        data += chunk
    try:
        info = json.loads(data.decode("utf-8")) if data else None
    except ValueError:
        return None
    return info if isinstance(info, dict) and isinstance(info.get("child-pid"), int) else None


def _status(pid: int) -> dict[str, str]:
    fields = {}
    with open("/proc/%d/status" % pid, encoding="utf-8") as handle:
        for line in handle:
            key, dummy, value = line.partition(":")
            if key in STATUS_FIELDS:
                fields[key] = " ".join(value.split())
    return fields


def view(sandbox: Sandbox) -> dict:
    """What /proc shows of the sandbox from the host once bwrap has set it up and waits on the
    block pipe (its capabilities dropped; the filter and the probe are still to come): its
    status, namespaces against the run's own, uid/gid maps, cgroups and mount table. Read only;
    {"error": ...} when bwrap never reported a sandbox or it did not reach that point in time."""
    deadline = time.monotonic() + VIEW_TIMEOUT_S
    info = _read_info(sandbox.control["info"], deadline)
    if info is None:
        return {"error": "bwrap reported no sandbox on --info-fd"}
    pid = info["child-pid"]
    proc = "/proc/%d" % pid
    try:
        # Set up means capabilities dropped: bwrap drops them after its last mount, right before
        # it reads the block pipe.
        status = _status(pid)
        while status.get("CapEff", "").strip("0") and time.monotonic() < deadline:
            time.sleep(0.005)
            status = _status(pid)
        if status.get("CapEff", "").strip("0"):
            return {"error": "the sandbox was not set up within %gs" % VIEW_TIMEOUT_S,
                    "pid": pid}
        namespaces = {name: os.readlink("%s/ns/%s" % (proc, name)) for name in NAMESPACES
                      if os.path.lexists("%s/ns/%s" % (proc, name))}
        # What the probe would inherit: each open descriptor and what it names (a descriptor
        # of a host directory would be a way out of every mount).
        descriptors = {}
        for name in sorted(os.listdir("%s/fd" % proc), key=int)[:MAX_VIEW_LINES]:
            try:
                descriptors[name] = os.readlink("%s/fd/%s" % (proc, name))
            except FileNotFoundError:
                continue
        own = {name: os.readlink("/proc/self/ns/%s" % name) for name in namespaces}
        lines = {}
        for name in ("uid_map", "gid_map", "cgroup", "mountinfo"):
            with open("%s/%s" % (proc, name), encoding="utf-8") as handle:
                lines[name] = [" ".join(line.split()) for line in handle][:MAX_VIEW_LINES + 1]
    except OSError as exc:
        return {"error": "reading %s: %s" % (proc, exc.strerror), "pid": pid}
    return {
        "pid": pid,
        "info": info,
        "status": status,
        "namespaces": namespaces,
        "host_namespaces": own,
        "fds": descriptors,
        "uid_map": lines["uid_map"],
        "gid_map": lines["gid_map"],
        "cgroup": lines["cgroup"],
        "mountinfo": lines["mountinfo"][:MAX_VIEW_LINES],
        "mountinfo_truncated": len(lines["mountinfo"]) > MAX_VIEW_LINES,
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
        "probe_sha256": sandbox.probe_sha256,
        "ceilings": list(sandbox.ceilings),
        "tmp_mount": mount_options(sandbox.paths["tmp"]),
        "system_paths": {key: list(value) for key, value in sandbox.system_paths.items()},
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
    for fd in [*sandbox.fds.values(), *sandbox.control.values()]:
        os.close(fd)
    sandbox.fds.clear()
    sandbox.control.clear()
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
