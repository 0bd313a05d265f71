# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The static checks of a run under bubblewrap (issue 19).

Each check keeps the matrix's id (data/matrix.yml) and decides it from the run's evidence
(_bwrap_evidence.Run); a check without an engine counterpart says what stands in for it.
Nothing here trusts the target's word where the evidence can show it: the filter's digest is the
collection's own manifest's, the mounts are the kernel's table, the namespaces the kernel's
links.
"""

from __future__ import annotations

import os
import posixpath
import re
from collections.abc import Callable
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap, _profile, _seccomp
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._bwrap_evidence import (
    DEV_NODES,
    Expected,
    Run,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import seccomp_allows
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list, dig, short

TMP_FLAGS = {"noexec", "nosuid", "nodev"}
TMP = _profile.TMPFS_TMP_TARGET
# The targets the profile mounts once each; only a system path may have two (bwrap's own
# read-only /proc/bus and /proc/irq under the profile's: measured, root's run).
FIXED_TARGETS = ("/", _bwrap.PROBE_INSIDE, "/proc", "/dev", "/dev/pts", "/in", "/out", TMP,
                 *DEV_NODES)
PIPE = re.compile(r"^pipe:\[[0-9]+\]$")

Result = tuple[bool, str, str]


def _argv_exact(r: Run, e: Expected) -> Result:
    """The recorded argv is the profile's rendering for this identity (descriptor numbers and
    the system paths this kernel has taken from the record, everything else fixed)."""
    args = r.bwrap()
    fds = {}
    for option, target, key in (("--ro-bind-fd", _bwrap.PROBE_INSIDE, "probe"),
                                ("--ro-bind-fd", "/in", "in"), ("--bind-fd", "/out", "out"),
                                ("--bind-fd", _profile.TMPFS_TMP_TARGET, "tmp")):
        for i in range(len(args) - 2):
            if args[i] == option and args[i + 2] == target and args[i + 1].isdigit():
                fds[key] = int(args[i + 1])
    for option, key in (("--seccomp", "seccomp"), ("--info-fd", "info"),
                        ("--block-fd", "block")):
        if option in args and args.index(option) + 1 < len(args) and args[
                args.index(option) + 1].isdigit():
            fds[key] = int(args[args.index(option) + 1])
    paths = r.system_paths
    if paths is None:
        return False, "the profile's bwrap argv", "system paths not the collection's: %s" % (
            short(r.facts.get("system_paths"), 200))
    ids = _profile.IDENTITIES[e.identity]
    sandbox = _bwrap.Sandbox(run_dir="", identity=e.identity, hostname=e.name, uid=ids["uid"],
                             gid=ids["gid"], paths={}, seccomp={}, limits={}, fds=fds,
                             system_paths=paths)
    try:
        wanted = _bwrap.argv(sandbox)
    except KeyError as exc:
        return False, "the profile's bwrap argv", "no descriptor for %s" % exc
    return r.argv == wanted, "the profile's argv: %s" % " ".join(wanted), " ".join(r.argv)


def _network_none(r: Run, e: Expected) -> Result:
    shared = r.own_namespaces(("net",))
    ok = r.has("--unshare-all") and not shared
    return ok, "--unshare-all; a network namespace of its own", (
        "net namespace %s (run's %s)" % (short(dig(r.view, "namespaces", "net")),
                                         short(dig(r.view, "host_namespaces", "net"))))


def _no_ports(r: Run, e: Expected) -> Result:
    ok, dummy, observed = _network_none(r, e)
    return ok, "no port published: bwrap forwards none, into a network namespace of its own", \
        observed


def _dns_loopback(r: Run, e: Expected) -> Result:
    root = r.at("/")
    etc = [m.target for m in r.mounts or [] if m.target == "/etc" or m.target.startswith("/etc/")]
    ok = r.mounts is not None and len(root) == 1 and root[0].fstype == "tmpfs" and not etc
    return ok, "no resolver: an empty tmpfs root with no /etc bound in", (
        "root %s; /etc mounts %s" % ([m.fstype for m in root], etc))


def _readonly_rootfs(r: Run, e: Expected) -> Result:
    # the root a whole tmpfs (not a directory of another), and the probe bound in it read-only
    # as well (--ro-bind-fd: a writable bind would let the sandbox rewrite the host's copy)
    root, probe = r.at("/"), r.at(_bwrap.PROBE_INSIDE)
    ok = (r.has("--remount-ro", "/") and len(root) == 1 and root[0].readonly
          and root[0].root == "/" and len(probe) == 1 and probe[0].readonly)
    return ok, "/ mounted ro (--remount-ro /), %s ro" % _bwrap.PROBE_INSIDE, "/ %s; %s %s" % (
        [(m.root, sorted(m.options)) for m in root], _bwrap.PROBE_INSIDE,
        [sorted(m.options) for m in probe])


def _cap_drop_all(r: Run, e: Expected) -> Result:
    zero, nonzero = r.caps_zero()
    return r.has("--cap-drop", "ALL") and zero, "--cap-drop ALL; every capability set empty", \
        nonzero or "all sets 0"


def _no_cap_add(r: Run, e: Expected) -> Result:
    zero, nonzero = r.caps_zero()
    return "--cap-add" not in r.bwrap() and zero, "no --cap-add; every capability set empty", \
        nonzero or "all sets 0"


def _not_privileged(r: Run, e: Expected) -> Result:
    zero, nonzero = r.caps_zero()
    shared = r.own_namespaces(("user",))
    user = short(dig(r.view, "namespaces", "user"))
    return zero and not shared, "a user namespace of its own, no capabilities in it", (
        "%s; user namespace %s" % (nonzero or "all sets 0", user))


def _no_new_privileges(r: Run, e: Expected) -> Result:
    value = r.status("NoNewPrivs")
    return value == "1", "NoNewPrivs 1", "NoNewPrivs %s" % value


def _seccomp_shipped(r: Run, e: Expected) -> Result:
    shipped = dig(e.filters, "filters", e.seccomp_name, e.architecture)
    recorded = r.facts.get("seccomp") if isinstance(r.facts.get("seccomp"), dict) else {}
    problems = []
    if not isinstance(shipped, dict):
        problems.append("the collection ships no %s filter for %s" % (
            e.seccomp_name, e.architecture))
    else:
        if recorded.get("sha256") != shipped.get("sha256"):
            problems.append("filter sha256 %s, shipped %s" % (short(recorded.get("sha256")),
                                                              shipped.get("sha256")))
        # the file bwrap was given (its descriptor in the view names it) is the shipped one's
        if posixpath.basename(str(recorded.get("path"))) != shipped.get("file"):
            problems.append("filter file %s, shipped %s" % (short(recorded.get("path")),
                                                            shipped.get("file")))
        if shipped.get("profile_sha256") != _seccomp.seccomp_digest(e.seccomp_name):
            problems.append("the shipped filter is not of the shipped %s profile"
                            % e.seccomp_name)
    for key, value in (("profile", e.seccomp_name), ("arch", e.architecture)):
        if recorded.get(key) != value:
            problems.append("%s %s" % (key, short(recorded.get(key))))
    if not r.has("--seccomp"):
        problems.append("no --seccomp in the argv")
    return not problems, "the shipped %s filter for %s, by its digest, passed with --seccomp" % (
        e.seccomp_name, e.architecture), "; ".join(problems) or "as shipped"


def _seccomp_denies_ptrace(r: Run, e: Expected) -> Result:
    ok, dummy, observed = _seccomp_shipped(r, e)
    denies = not seccomp_allows(_seccomp.seccomp_profile(e.seccomp_name), "ptrace")
    return ok and denies, "the shipped filter, whose profile denies ptrace", observed


def _is_mask(r: Run, path: str, mount) -> bool:
    """A masked path is covered by nothing to read: a read-only tmpfs of its own (a directory)
    or a read-only bind of the same /dev/null the sandbox's /dev has (a file); a read-only bind
    of the path itself would still be readable."""
    null = r.seen("/dev/null")
    if not mount.readonly:
        return False
    if path in (dig(r.system_paths, "masked_dirs") or []):
        return mount.fstype == "tmpfs" and mount.root == "/"
    return null is not None and (mount.device, mount.root) == (null.device, null.root)


def _is_readonly(r: Run, path: str, mount) -> bool:
    """A read-only path is a read-only bind of that proc entry (its root in proc)."""
    return mount.readonly and mount.fstype == "proc" and mount.root == path[len("/proc"):]


def _own_proc(r: Run) -> list[str]:
    """One proc at /proc, the sandbox's own: not the device of the read-only binds, which
    bwrap takes from the host's proc (a host proc there shows every host process, and under
    it no mask at all)."""
    procs = r.at("/proc")
    host = {m.device for path in _bwrap.READONLY_PATHS if (m := r.seen(path)) is not None}
    if len(procs) != 1 or procs[0].fstype != "proc" or procs[0].root != "/" or \
            procs[0].device in host or r.seen("/proc") is not procs[0]:
        return ["/proc %s" % [(m.fstype, m.device, m.root) for m in procs]]
    return []


def _masks(r: Run, paths: tuple[str, ...], kind: str,
           covered: Callable[[Run, str, Any], bool]) -> Result:
    recorded = r.system_paths
    if recorded is None or r.mounts is None:
        return False, kind, "system paths not the collection's, or no mount table"
    absent = set(recorded["absent"])
    problems = _own_proc(r)
    for path in paths:
        if path == "/sys" or path.startswith("/sys/"):
            under = [m.target for m in r.mounts if m.target == "/sys"
                     or m.target.startswith("/sys/")]
            if under:
                problems.append("%s: /sys mounted %s" % (path, under))
            continue
        # the mount seen there (tree_visible), whatever the table's order
        mount = r.seen(path)
        if mount is not None:
            if not covered(r, path, mount):
                problems.append("%s not %s (%s %s %s)" % (path, kind, mount.fstype, mount.root,
                                                          sorted(mount.options)))
        elif path not in absent:
            problems.append("%s neither %s nor absent" % (path, kind))
    return not problems, "%s: %s (or absent from this kernel; /sys not mounted)" % (
        kind, list(paths)), "; ".join(problems) or "all covered"


def _masked_paths(r: Run, e: Expected) -> Result:
    return _masks(r, e.masked_paths, "masked read-only", _is_mask)


def _readonly_paths(r: Run, e: Expected) -> Result:
    return _masks(r, e.readonly_paths, "read-only", _is_readonly)


def _limits(r: Run, e: Expected) -> Result:
    # every file the profile's limits give, memsw too (a host without it has no such ceiling)
    wanted = {name: value for files in _bwrap.cgroup_files(e.limits).values()
              for name, value in files}
    set_by_cgroup = {}
    for ceiling in as_list(r.facts.get("ceilings")):
        if isinstance(ceiling, dict) and ceiling.get("by") == "cgroup":
            path = str(ceiling.get("file"))
            if os.path.basename(os.path.dirname(path)) == e.name:
                # each file written once: of two records, which the kernel kept is unknown
                if os.path.basename(path) in set_by_cgroup:
                    set_by_cgroup[os.path.basename(path)] = "recorded twice"
                else:
                    set_by_cgroup[os.path.basename(path)] = ceiling.get("value")
    problems = ["%s %s, want %s" % (k, short(set_by_cgroup.get(k)), v)
                for k, v in wanted.items() if set_by_cgroup.get(k) != v]
    # What stood in where no cgroup could be made, with the boundary it gives: not the
    # sandbox's ceiling (an rlimit bounds a uid host-wide, or one process), so never a PASS.
    for ceiling in as_list(r.facts.get("ceilings")):
        if isinstance(ceiling, dict) and ceiling.get("by") != "cgroup":
            problems.append("%s: %s" % (short(ceiling.get("controller")), short(
                ceiling.get("reason") or "%s %s (%s)" % (ceiling.get("by"), ceiling.get("value"),
                                                         ceiling.get("boundary")), 200)))
    # The sandbox is in the run's cgroup of each controller (the kernel's /proc/PID/cgroup).
    joined: dict[str, str] = {}
    for line in as_list(r.view.get("cgroup")):
        parts = str(line).split(":", 2)
        if len(parts) == 3:
            for controller in parts[1].split(","):
                # the kernel lists each hierarchy once: a second line is not its table
                if controller in joined:
                    problems.append("%s listed twice in the cgroup table" % controller)
                joined[controller] = parts[2]
    for controller in _bwrap.CGROUP_CONTROLLERS:
        if not str(joined.get(controller, "")).endswith("/" + e.name):
            problems.append("not in the run's %s cgroup (%s)" % (controller,
                                                                 short(joined.get(controller))))
    return not problems, "the run's cgroups hold the sandbox with %s" % wanted, \
        "; ".join(problems) or "as set"


def _extra_targets(r: Run) -> list[str]:
    """Mount targets beyond the profile's: its fixed ones and the system paths it covers."""
    paths = r.system_paths or {}
    expected = {*FIXED_TARGETS, *paths.get("masked", []), *paths.get("readonly", [])}
    return sorted({m.target for m in r.mounts or []} - expected)


def _descriptors(r: Run) -> list[str]:
    """The sandbox's open descriptors once set up that are none of: its standard streams (the
    run's pipes, /dev/null), the block pipe and the filter bwrap reads next, and bwrap's own
    /proc handle, which it closes before it runs the probe (bubblewrap.c, "if (proc_fd != -1)
    close (proc_fd)"). The binds' descriptors are closed once bound (measured: none left)."""
    args = r.bwrap()
    allowed: dict[str, str | None] = {}
    procs = 0
    for option, link in (("--block-fd", "pipe:"), ("--seccomp", r.facts.get("seccomp", {}).get(
            "path") if isinstance(r.facts.get("seccomp"), dict) else None)):
        if option in args and args.index(option) + 1 < len(args):
            allowed[args[args.index(option) + 1]] = link
    fds = r.view.get("fds")
    if not isinstance(fds, dict) or not fds:
        return ["no descriptor list"]
    problems = []
    for fd, link in sorted(fds.items()):
        link = str(link)
        pipe = PIPE.match(link) is not None
        # stdin is /dev/null (execute()): a pipe there would be a channel from the host
        if (fd == "0" and link == "/dev/null") or (fd in ("1", "2") and pipe):
            continue
        if link == "/proc" and procs == 0:
            procs += 1
            continue
        want = allowed.get(fd)
        if want is not None and (link == want or (want == "pipe:" and pipe)):
            continue
        problems.append("descriptor %s: %s" % (fd, short(link)))
    return problems


def _binds_exact(r: Run, e: Expected) -> Result:
    if r.mounts is None:
        return False, "the sandbox's mount table", "none read"
    problems = _descriptors(r)
    extra = _extra_targets(r)
    if extra:
        problems.append("mounts %s" % extra)
    problems += ["%d mounts at %s" % (len(r.at(t)), t) for t in FIXED_TARGETS
                 if len(r.at(t)) != 1]
    recorded = r.system_paths
    if recorded is None:
        problems.append("system paths not the collection's")
    # a system path: the profile's cover and, under it, at most bwrap's own (measured, root)
    problems += ["%d mounts at %s" % (len(r.at(p)), p) for p in (recorded or {}).get(
        "masked", []) + (recorded or {}).get("readonly", []) if len(r.at(p)) > 2]
    base = "/%s/%s/" % (e.run_id, e.identity)
    # The three binds come from one run directory: the same filesystem, the same prefix before
    # <run id>/<identity>/ (the run root, which the record does not name), each path as the
    # kernel writes it (no "..").
    origins = set()
    for target, root in (("/in", base + "in"), ("/out", base + "out"),
                         (_bwrap.PROBE_INSIDE, base + "rootfs/" + _bwrap.PROBE_NAME)):
        found = r.at(target)
        if len(found) != 1 or not found[0].root.endswith(root) or \
                posixpath.normpath(found[0].root) != found[0].root:
            problems.append("%s from %s" % (target, [m.root for m in found]))
            continue
        origins.add((found[0].device, found[0].root[:-len(root)]))
    if len(origins) > 1:
        problems.append("binds from different run directories %s" % sorted(origins))
    return not problems, "only the run's own binds: %s under the run directory; no descriptor " \
        "of a host path inherited" % base, "; ".join(problems) or "exact"


def _bind_mode(target: str, writable: bool) -> Callable[[Run, Expected], Result]:
    def check(r: Run, e: Expected) -> Result:
        found = r.at(target)
        ok = len(found) == 1 and (found[0].writable if writable else found[0].readonly)
        return ok, "%s bound %s" % (target, "rw" if writable else "ro"), "%s %s" % (
            target, [sorted(m.options) for m in found])
    return check


def _no_socket_mounts(r: Run, e: Expected) -> Result:
    if r.mounts is None:
        return False, "the sandbox's mount table", "none read"
    extra = _extra_targets(r)
    return not extra, "nothing bound but the profile's mounts", "extra %s" % extra if extra \
        else "none"


def _tmpfs_tmp(r: Run, e: Expected) -> Result:
    found = r.at(_profile.TMPFS_TMP_TARGET)
    size = "size=%dk" % (e.limits["tmpfs_tmp_mb"] * 1024)
    # root "/": the run's whole tmpfs, not a directory of some other one
    ok = (len(found) == 1 and found[0].fstype == "tmpfs" and TMP_FLAGS <= found[0].options
          and size in found[0].super_options and found[0].root == "/")
    return ok, "%s a tmpfs %s, %s" % (TMP, sorted(TMP_FLAGS), size), "%s %s" % (TMP, [
        (m.fstype, sorted(m.options), sorted(m.super_options)) for m in found])


def _cgroupns_private(r: Run, e: Expected) -> Result:
    shared = r.own_namespaces(("cgroup",))
    return not shared, "a cgroup namespace of its own", "shared %s" % shared if shared else "own"


def _no_host_namespaces(r: Run, e: Expected) -> Result:
    shared = r.own_namespaces(_bwrap.NAMESPACES)
    return not shared, "every namespace its own: %s" % list(_bwrap.NAMESPACES), \
        "shared %s" % shared if shared else "all own"


def _no_devices(r: Run, e: Expected) -> Result:
    dev = [m for m in r.mounts or [] if m.target.startswith("/dev/")]
    extra = sorted(m.target for m in dev if m.target not in DEV_NODES and m.target != "/dev/pts")
    base = r.at("/dev")
    # Each node is the host's node of that name (a bind of another, /dev/sda at /dev/null,
    # keeps the target's name), all from the host's /dev; /dev itself a tmpfs of its own, not
    # that /dev bound whole; /dev/pts a devpts.
    nodes = [r.seen(node) for node in DEV_NODES]
    wrong = [node for node, m in zip(DEV_NODES, nodes, strict=True)
             if m is None or posixpath.basename(m.root) != posixpath.basename(node)]
    devices = {m.device for m in nodes if m is not None}
    pts = r.at("/dev/pts")
    ok = (r.mounts is not None and len(base) == 1 and base[0].fstype == "tmpfs" and not extra
          and base[0].root == "/" and not wrong and len(devices) == 1
          and base[0].device not in devices and len(pts) == 1 and pts[0].fstype == "devpts"
          and pts[0].root == "/")
    return ok, "/dev a tmpfs of its own with %s and a devpts only" % list(DEV_NODES), \
        "extra %s" % extra if extra else "%s; nodes not the host's own %s; node devices %s" % (
            [(m.fstype, m.device, m.root) for m in base], wrong, sorted(devices))


def _user(r: Run, e: Expected) -> Result:
    ids = "%d %d %d %d" % ((e.uid,) * 4)
    gids = "%d %d %d %d" % ((e.gid,) * 4)
    launcher = r.argv[:r.argv.index(_bwrap.BWRAP)] if _bwrap.BWRAP in r.argv else None
    want_launcher = [_bwrap.SETPRIV, "--reuid=%d" % e.uid, "--regid=%d" % e.gid,
                     "--clear-groups", "--"]
    # One uid of the sandbox, the identity's, mapped to the same uid on the host.
    maps = as_list(r.view.get("uid_map"))
    # and one gid, the identity's: a wider map shows host groups' files as theirs
    gid_maps = as_list(r.view.get("gid_map"))
    ok = (r.status("Uid") == ids and r.status("Gid") == gids and r.status("Groups") == ""
          and launcher == want_launcher and maps == ["%d %d 1" % (e.uid, e.uid)]
          and gid_maps == ["%d %d 1" % (e.gid, e.gid)])
    return ok, "uid/gid %d/%d on the host (uid_map), no groups, started through setpriv" % (
        e.uid, e.gid), \
        "Uid %s Gid %s Groups %s uid_map %s gid_map %s launcher %s" % (
            r.status("Uid"), r.status("Gid"), short(r.status("Groups")), maps, gid_maps,
            launcher)


def _env(r: Run, e: Expected) -> Result:
    ok = r.has("--clearenv") and "--setenv" not in r.bwrap()
    return ok, "--clearenv, no --setenv", "clearenv %s; setenv %s" % (
        r.has("--clearenv"), "--setenv" in r.bwrap())


STATIC_CHECKS: dict[str, Callable[[Run, Expected], Result]] = {
    "network_none": _network_none,
    "no_ports": _no_ports,
    "dns_loopback": _dns_loopback,
    "readonly_rootfs": _readonly_rootfs,
    "cap_drop_all": _cap_drop_all,
    "no_cap_add": _no_cap_add,
    "not_privileged": _not_privileged,
    "no_new_privileges": _no_new_privileges,
    "seccomp_shipped": _seccomp_shipped,
    "seccomp_denies_ptrace": _seccomp_denies_ptrace,
    # bwrap has no security options to know: the argv must be the profile's, option by option.
    "security_opts_known": _argv_exact,
    "masked_paths": _masked_paths,
    "readonly_paths": _readonly_paths,
    "limits": _limits,
    "binds_exact": _binds_exact,
    "bind_in_ro": _bind_mode("/in", False),
    "bind_out_rw": _bind_mode("/out", True),
    "no_socket_mounts": _no_socket_mounts,
    "tmpfs_tmp": _tmpfs_tmp,
    "cgroupns_private": _cgroupns_private,
    "no_host_namespaces": _no_host_namespaces,
    "no_devices": _no_devices,
    "user": _user,
    "env": _env,
}


def check_static(runs: dict[str, Run], expected: dict[str, Expected]) -> Finding:
    """Finding "profile" of a bwrap run: every static check for every identity. A run whose
    host-side view is missing or in error has no static evidence: MISSING, never PASS."""
    finding = Finding("profile")
    for identity, run in runs.items():
        for check_id, check in STATIC_CHECKS.items():
            if not run.view or "error" in run.view or not run.argv:
                finding.add(Check(check_id, MISSING, "%s on %s: no view of the sandbox (%s)" % (
                    check_id, identity, short(run.view.get("error"))), identity))
                continue
            try:
                ok, wanted, observed = check(run, expected[identity])
            except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:
                ok, wanted, observed = False, check_id, "unreadable evidence (%s)" % exc
            finding.add(Check(check_id, PASS if ok else FAIL, "%s on %s: %s" % (
                check_id, identity, observed if not ok else wanted), identity,
                expected=wanted, observed=observed))
    return finding
