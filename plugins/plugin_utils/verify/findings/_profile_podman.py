# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The static checks of a Podman bundle where Podman's evidence differs from Docker's.

Same check ids, same rows (data/matrix.yml); each reads where Podman keeps the fact: the OCI
spec it gave the OCI runtime (identities/<identity>/oci-spec.json) for the seccomp filter,
capabilities, masked and read-only paths and namespaces, and its inspect document's own shapes
for the rest (docs/podman-facts.md sections 5 and 13). REPLACE holds checks that read Podman's
evidence instead of Docker's; ALSO holds what the spec must say besides the Docker check
(findings/_profile.py composes both).
"""

from __future__ import annotations

import posixpath
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    missing_paths,
    parse_env,
    seccomp_allows,
    socket_mounts,
    tmpfs_hardened,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._oci_spec import (
    NAMESPACES,
    capabilities_empty,
    mounts,
    namespaces,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    short,
)

if TYPE_CHECKING:
    from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
        Expected,
    )

Result = tuple[bool, str, str]
Check = Callable[[dict[str, Any], "Expected"], Result]
MIB = 1024 * 1024
# Podman's CFS period for --cpus (measured: 100000 us, the quota scaled to it).
CPU_PERIOD = 100_000


def cpu_quota(limits: dict[str, int]) -> int:
    """The CFS quota Podman sets for the profile's cpus_milli over CPU_PERIOD."""
    return limits["cpus_milli"] * CPU_PERIOD // 1000


# The binds Podman adds from the container's own directories (measured, section 5).
ENGINE_BINDS = ("/etc/hostname", "/etc/hosts", "/dev/shm", "/run/.containerenv")  # noqa: S108
# The kernel filesystems every Podman container gets (type, place; measured, section 5; the
# spec's closed world holds their options: data/inspect-fields.yml spec_mounts), and the
# profile's /tmp tmpfs. Any other mount is not of this profile.
ENGINE_MOUNTS = frozenset({("proc", "/proc"), ("tmpfs", "/dev"), ("sysfs", "/sys"),
                           ("mqueue", "/dev/mqueue"), ("devpts", "/dev/pts"),
                           ("cgroup", "/sys/fs/cgroup"), ("tmpfs", "/tmp")})  # noqa: S108
RESOLV_CONF = "/etc/resolv.conf"
# Podman reports --log-opt max-size as a size with a unit (measured "1m" -> "1MB").
LOG_SIZE_UNITS = {"k": "kB", "m": "MB", "g": "GB"}


def _spec_seccomp(e: Expected) -> tuple[Any, str | None]:
    profile = dig(e.oci_spec, "linux", "seccomp")
    if not isinstance(profile, dict):
        return None, "the OCI spec has no seccomp filter (%s)" % short(profile, 40)
    return profile, None


def _seccomp_shipped(c: dict[str, Any], e: Expected) -> Result:
    expected = "the shipped %s profile, as the OCI spec's filter for %s" % (
        e.seccomp_name, e.architecture)
    profile, problem = _spec_seccomp(e)
    if problem:
        return False, expected, problem
    if e.runtime_seccomp is None:
        return False, expected, "no shipped profile for %s on %s" % (
            short(e.seccomp_name), short(e.architecture))
    if profile != e.runtime_seccomp:
        return False, expected, "a different seccomp filter in the OCI spec"
    if e.bundle_seccomp != e.shipped_seccomp:
        return False, expected, "profile/seccomp.json differs from the shipped %s" % e.seccomp_name
    return True, expected, "equal to %s" % e.seccomp_name


def _seccomp_denies_ptrace(c: dict[str, Any], e: Expected) -> Result:
    names = ("ptrace", "process_vm_readv", "process_vm_writev")
    expected = "the OCI spec's seccomp filter denies %s" % ", ".join(names)
    profile, problem = _spec_seccomp(e)
    if problem:
        return False, expected, problem
    allowed = [name for name in names if seccomp_allows(profile, name)]
    return not allowed, expected, ("allows %s" % ", ".join(allowed)) if allowed else "denied"


def _no_resolver(c: dict[str, Any], e: Expected) -> Result:
    # Podman refuses --dns with --network none: the container gets no resolv.conf at all,
    # which leaves no resolver to reach (stricter than Docker's loopback resolver).
    dns = dig(c, "HostConfig", "Dns")
    extra_hosts = as_list(dig(c, "HostConfig", "ExtraHosts"))
    resolv = dig(c, "ResolvConfPath")
    mounted = [m.get("destination") for m in mounts(e.oci_spec)
               if m.get("destination") == RESOLV_CONF]
    ok = dns in ([], None) and not extra_hosts and resolv == "" and not mounted
    return ok, "no resolver: Dns empty, no extra hosts, no resolv.conf", \
        "Dns %s, ExtraHosts %s, ResolvConfPath %s, resolv.conf mounts %d" % (
            short(dns), short(extra_hosts), short(resolv), len(mounted))


def _caps_empty(c: dict[str, Any], e: Expected) -> Result:
    ok, observed = capabilities_empty(e.oci_spec)
    return ok, "every capability set of the OCI spec's process empty", observed


def _spec_paths(key: str, attr: str) -> Check:
    def check(c: dict[str, Any], e: Expected) -> Result:
        baseline = getattr(e, attr)
        ok, observed = missing_paths(as_list(dig(e.oci_spec, "linux", key)), baseline)
        return ok, "linux.%s include %s" % (key, baseline), observed
    return check


def _container_dir(path: Any, e: Expected) -> bool:
    """Whether a bind's source is in this container's own directory of Podman's storage."""
    if not isinstance(path, str) or posixpath.normpath(path) != path:
        return False
    return any(path.startswith(prefix + "/") for prefix in e.container_dirs)


def _binds_exact(c: dict[str, Any], e: Expected) -> Result:
    problems = []
    suffix = "/%s/%s/" % (e.run_id, e.identity)
    run_binds = {}
    for mount in mounts(e.oci_spec):
        destination, source = mount.get("destination"), mount.get("source")
        bind = mount.get("type") == "bind" or bool(
            {"bind", "rbind"} & set(map(str, as_list(mount.get("options")))))
        if not bind:
            if (mount.get("type"), destination) not in ENGINE_MOUNTS:
                problems.append("a %s mount %s -> %s" % (
                    short(mount.get("type"), 20), short(source), short(destination)))
            continue
        if destination in ("/in", "/out"):
            run_binds[destination] = source
            if not (isinstance(source, str) and source.endswith(suffix + destination[1:])
                    and posixpath.normpath(source) == source):
                problems.append("%s from %s, expected a run directory .../%s%s" % (
                    destination, short(source), suffix.strip("/"), destination))
        elif destination in ENGINE_BINDS and _container_dir(source, e):
            continue
        else:
            problems.append("a bind %s -> %s" % (short(source), short(destination)))
        propagation = [o for o in as_list(mount.get("options"))
                       if o in ("shared", "rshared", "slave", "rslave")]
        if propagation:
            problems.append("%s propagation %s" % (destination, propagation))
    if sorted(run_binds) != ["/in", "/out"]:
        problems.append("run binds %s in the OCI spec" % sorted(run_binds))
    binds = [str(b) for b in as_list(dig(c, "HostConfig", "Binds"))]
    if sorted(b.split(":")[1] if b.count(":") >= 2 else b for b in binds) != ["/in", "/out"]:
        problems.append("HostConfig.Binds %s" % binds)
    inspected = [m for m in as_list(c.get("Mounts")) if isinstance(m, dict)]
    if sorted((m.get("Type"), m.get("Destination")) for m in inspected) != [
            ("bind", "/in"), ("bind", "/out")]:
        problems.append("Mounts %s" % [(m.get("Type"), m.get("Destination")) for m in inspected])
    if as_list(dig(c, "HostConfig", "VolumesFrom")) or as_dict(dig(c, "Config", "Volumes")):
        problems.append("volumes from elsewhere")
    return not problems, "exactly two run binds: <run dir>/%s/in -> /in, <run dir>/%s/out -> " \
        "/out, besides Podman's own files of this container" % (e.identity, e.identity), \
        "; ".join(problems) or "as expected"


def _bind_mode(destination: str, writable: bool) -> Check:
    def check(c: dict[str, Any], e: Expected) -> Result:
        found = [m for m in mounts(e.oci_spec) if m.get("destination") == destination]
        inspected = [m for m in as_list(c.get("Mounts"))
                     if isinstance(m, dict) and m.get("Destination") == destination]
        if len(found) != 1 or len(inspected) != 1:
            return False, "%s bind" % destination, "%d %s mounts in the OCI spec, %d in " \
                "inspect" % (len(found), destination, len(inspected))
        options = set(as_list(found[0].get("options")))
        mode = {"ro", "rw"} & options
        ok = (mode == ({"rw"} if writable else {"ro"})
              and inspected[0].get("RW") is writable)
        return ok, "%s bind %s" % (destination, "rw" if writable else "ro"), \
            "OCI spec options %s, RW %s" % (sorted(mode), short(inspected[0].get("RW")))
    return check


def _cgroupns_private(c: dict[str, Any], e: Expected) -> Result:
    mode = dig(c, "HostConfig", "CgroupMode")
    ok = mode == "private" and ("cgroup", None) in namespaces(e.oci_spec)
    return ok, "CgroupMode private, a new cgroup namespace in the OCI spec", \
        "CgroupMode %s, namespaces %s" % (short(mode), namespaces(e.oci_spec))


def _namespaces(c: dict[str, Any], e: Expected) -> Result:
    host = as_dict(c.get("HostConfig"))
    keys = ("PidMode", "IpcMode", "UTSMode", "UsernsMode", "NetworkMode")
    modes = {key: host.get(key) for key in keys}
    # Podman names the new IPC namespace of --ipc private "shareable" (measured); the spec
    # says what was made: each namespace new (no path), no user namespace.
    found = namespaces(e.oci_spec)
    ok = (modes["PidMode"] == "private" and modes["IpcMode"] in ("private", "shareable")
          and modes["UTSMode"] == "private" and modes["UsernsMode"] == ""
          and modes["NetworkMode"] == "none"
          and sorted(found, key=str) == sorted(((t, None) for t in NAMESPACES), key=str))
    return ok, "new %s namespaces (none joined, no user namespace), NetworkMode none" % (
        ", ".join(NAMESPACES)), "%s; OCI spec namespaces %s" % (
            ", ".join("%s %s" % (k, short(v)) for k, v in modes.items()), found)


def log_size(max_size: str) -> str | None:
    unit = max_size[-1:].lower()
    number = max_size[:-1]
    return number + LOG_SIZE_UNITS[unit] if unit in LOG_SIZE_UNITS and number.isdigit() else None


def _log_driver(c: dict[str, Any], e: Expected) -> Result:
    # Podman keeps max-size as LogConfig.Size and has no max-file (its json-file driver is
    # its k8s-file log, one file rotated at the size).
    config = as_dict(dig(c, "HostConfig", "LogConfig"))
    size = log_size(_profile.LOG_OPTS["max-size"])
    ok = config.get("Type") == _profile.LOG_DRIVER and size is not None \
        and config.get("Size") == size and config.get("Config") in (None, {})
    observed = "Type %s, Size %s, Config %s" % (
        short(config.get("Type")), short(config.get("Size")), short(config.get("Config")))
    return ok, "LogConfig Type %s, Size %s" % (_profile.LOG_DRIVER, size), observed


# What the spec must say besides the Docker check of the same id.
def _readonly_root(c: dict[str, Any], e: Expected) -> Result:
    value = dig(e.oci_spec, "root", "readonly")
    return value is True, "OCI spec root.readonly true", "root.readonly %s" % short(value)


def _no_new_privileges(c: dict[str, Any], e: Expected) -> Result:
    value = dig(e.oci_spec, "process", "noNewPrivileges")
    return value is True, "OCI spec process.noNewPrivileges true", \
        "noNewPrivileges %s" % short(value)


def _spec_limits(c: dict[str, Any], e: Expected) -> Result:
    resources = as_dict(dig(e.oci_spec, "linux", "resources"))
    if e.limits is None:
        return False, "the profile's limits", e.limits_problem or "no limits"
    memory = e.limits["memory_mb"] * MIB
    quota = cpu_quota(e.limits)
    observed = (dig(resources, "pids", "limit"), dig(resources, "memory", "limit"),
                dig(resources, "memory", "swap"), dig(resources, "cpu", "quota"),
                dig(resources, "cpu", "period"))
    wanted = (e.limits["pids"], memory, memory, quota, CPU_PERIOD)
    return observed == wanted, "OCI spec pids %d, memory %d, swap %d, cpu quota %d/%d" % wanted, \
        "pids %s, memory %s, swap %s, cpu quota %s/%s" % observed


def _spec_devices(c: dict[str, Any], e: Expected) -> Result:
    devices = dig(e.oci_spec, "linux", "devices")
    rules = dig(e.oci_spec, "linux", "resources", "devices")
    ok = devices in (None, []) and rules == [{"allow": False, "access": "rwm"}]
    return ok, "no devices in the OCI spec, every device denied", \
        "devices %s, rules %s" % (short(devices), short(rules))


def _spec_sockets(c: dict[str, Any], e: Expected) -> Result:
    paths = [m.get(key) for m in mounts(e.oci_spec) for key in ("source", "destination")]
    bad = socket_mounts(paths)
    return not bad, "no engine socket or socket directory in the OCI spec's mounts", (
        "mounted %s" % bad if bad else "none")


def _spec_user(c: dict[str, Any], e: Expected) -> Result:
    user = as_dict(dig(e.oci_spec, "process", "user"))
    uid, dummy, gid = _profile.identity_user(e.identity).partition(":")
    extra = [g for g in as_list(user.get("additionalGids")) if g != int(gid)]
    ok = user.get("uid") == int(uid) and user.get("gid") == int(gid) and not extra
    return ok, "OCI spec process user %s, no other group" % _profile.identity_user(e.identity), \
        "uid %s, gid %s, additionalGids %s" % (
            short(user.get("uid")), short(user.get("gid")), short(user.get("additionalGids")))


def _spec_env(c: dict[str, Any], e: Expected) -> Result:
    inspected = sorted(str(v) for v in as_list(dig(c, "Config", "Env")))
    spec = sorted(str(v) for v in as_list(dig(e.oci_spec, "process", "env")))
    ok = inspected == spec and parse_env(spec).keys() <= set(e.env.environment)
    return ok, "the OCI spec's environment is the inspected one", \
        "the same" if inspected == spec else "spec %s" % short(spec, 200)


def _spec_tmpfs(c: dict[str, Any], e: Expected) -> Result:
    found = [m for m in mounts(e.oci_spec) if m.get("destination") == _profile.TMPFS_TMP_TARGET]
    size = e.limits["tmpfs_tmp_mb"] * MIB if e.limits else None
    expected = "one tmpfs %s in the OCI spec, noexec,nosuid,nodev, size %s" % (
        _profile.TMPFS_TMP_TARGET, size)
    if len(found) != 1 or found[0].get("type") != "tmpfs":
        return False, expected, "%d mounts at %s" % (len(found), _profile.TMPFS_TMP_TARGET)
    options = ",".join(str(o) for o in as_list(found[0].get("options")))
    return tmpfs_hardened(options, size), expected, short(found[0].get("options"))


SPEC = "spec:"
REPLACE: dict[str, tuple[Check, tuple[str, ...]]] = {
    "dns_loopback": (_no_resolver, ("/HostConfig/Dns", "/ResolvConfPath", SPEC + "/mounts")),
    "cap_drop_all": (_caps_empty, (SPEC + "/process/capabilities",)),
    "seccomp_shipped": (_seccomp_shipped, (SPEC + "/linux/seccomp",)),
    "seccomp_denies_ptrace": (_seccomp_denies_ptrace, (SPEC + "/linux/seccomp",)),
    "masked_paths": (_spec_paths("maskedPaths", "masked_paths"), (SPEC + "/linux/maskedPaths",)),
    "readonly_paths": (_spec_paths("readonlyPaths", "readonly_paths"),
                       (SPEC + "/linux/readonlyPaths",)),
    "binds_exact": (_binds_exact, ("/HostConfig/Binds", "/Mounts", SPEC + "/mounts")),
    "bind_in_ro": (_bind_mode("/in", False), ("/Mounts", SPEC + "/mounts")),
    "bind_out_rw": (_bind_mode("/out", True), ("/Mounts", SPEC + "/mounts")),
    "cgroupns_private": (_cgroupns_private, ("/HostConfig/CgroupMode", SPEC + "/linux/namespaces")),
    "no_host_namespaces": (_namespaces, ("/HostConfig/PidMode", "/HostConfig/IpcMode",
                                         SPEC + "/linux/namespaces")),
    "log_driver": (_log_driver, ("/HostConfig/LogConfig",)),
}
ALSO: dict[str, tuple[Check, tuple[str, ...]]] = {
    "readonly_rootfs": (_readonly_root, (SPEC + "/root/readonly",)),
    "no_new_privileges": (_no_new_privileges, (SPEC + "/process/noNewPrivileges",)),
    "limits": (_spec_limits, (SPEC + "/linux/resources",)),
    "no_devices": (_spec_devices, (SPEC + "/linux/resources/devices",)),
    "no_socket_mounts": (_spec_sockets, (SPEC + "/mounts",)),
    "user": (_spec_user, (SPEC + "/process/user",)),
    "env": (_spec_env, (SPEC + "/process/env",)),
    "tmpfs_tmp": (_spec_tmpfs, (SPEC + "/mounts",)),
}
