# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "profile": static conformance of each run container's inspect document.

Expected values come from the shipped profile (module_utils/_profile.py, _seccomp.py) and the
expectations data, never from the bundle alone: a bundle could carry a loosened profile.json.
The bundle's profile.json is itself checked (limits within bounds, names as shipped). Each
static check has an id the matrix binds rows to.
"""

from __future__ import annotations

import difflib
import hashlib
import posixpath
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile, _seccomp
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    OCI_SPEC,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    PROFILE,
    Context,
    environment,
    predicate,
    profile_limits,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    SANDBOX_TMP,
    missing_paths,
    normalise_cap,
    parse_env,
    parse_seccomp_value,
    parse_security_opts,
    parse_user,
    seccomp_allows,
    socket_mounts,
    tmpfs_hardened,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._oci_spec import (
    container_dirs,
    seccomp_for_runtime,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    inspect_doc,
    is_loopback,
    short,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import _profile_podman

MIB = 1024 * 1024
PTRACE_SYSCALLS = ("ptrace", "process_vm_readv", "process_vm_writev")
SAFE_PROPAGATION = ("", "rprivate", "private")


@dataclass(frozen=True)
class Expected:
    """What one identity's container must look like."""

    identity: str
    run_id: str | None
    image_id: str | None
    seccomp_name: str | None
    shipped_seccomp: dict[str, Any] | None
    bundle_seccomp: Any
    limits: dict[str, int] | None
    limits_problem: str | None
    masked_paths: list[str]
    readonly_paths: list[str]
    env: Context
    runtime: str = "docker"
    # Podman: the OCI spec (oci-spec.json), the shipped profile as the spec's filter for the
    # host's architecture, and the container's own directories of Podman's storage.
    oci_spec: Any = None
    runtime_seccomp: dict[str, Any] | None = None
    architecture: str | None = None
    container_dirs: tuple[str, ...] = ()


# A static check returns (holds, expected, observed); the pointer list says what it read.
Result = tuple[bool, str, str]


def _network_none(c: dict[str, Any], e: Expected) -> Result:
    mode = dig(c, "HostConfig", "NetworkMode")
    networks = sorted(as_dict(dig(c, "NetworkSettings", "Networks")))
    ok = mode == "none" and set(networks) <= {"none"}
    return ok, "NetworkMode none, attached to no other network", "NetworkMode %s, networks %s" % (
        short(mode), networks)


def _no_ports(c: dict[str, Any], e: Expected) -> Result:
    bindings = as_dict(dig(c, "HostConfig", "PortBindings"))
    publish_all = dig(c, "HostConfig", "PublishAllPorts")
    ports = as_dict(dig(c, "NetworkSettings", "Ports"))
    exposed = as_dict(dig(c, "Config", "ExposedPorts"))
    ok = not bindings and publish_all in (False, None) and not ports and not exposed
    return ok, "no port bindings, exposed or published ports", \
        "PortBindings %s, PublishAllPorts %s, Ports %s, ExposedPorts %s" % (
            sorted(bindings), publish_all, sorted(ports), sorted(exposed))


def _dns_loopback(c: dict[str, Any], e: Expected) -> Result:
    dns = dig(c, "HostConfig", "Dns")
    extra_hosts = as_list(dig(c, "HostConfig", "ExtraHosts"))
    ok = (isinstance(dns, list) and bool(dns) and all(map(is_loopback, dns))
          and not extra_hosts)
    return ok, "Dns loopback addresses only, no extra hosts", "Dns %s, ExtraHosts %s" % (
        short(dns), short(extra_hosts))


def _readonly_rootfs(c: dict[str, Any], e: Expected) -> Result:
    value = dig(c, "HostConfig", "ReadonlyRootfs")
    return value is True, "ReadonlyRootfs true", "ReadonlyRootfs %s" % short(value)


def _cap_drop_all(c: dict[str, Any], e: Expected) -> Result:
    drop = [normalise_cap(cap) for cap in as_list(dig(c, "HostConfig", "CapDrop"))]
    return "ALL" in drop, "CapDrop includes ALL", "CapDrop %s" % drop


def _no_cap_add(c: dict[str, Any], e: Expected) -> Result:
    add = dig(c, "HostConfig", "CapAdd")
    return not as_list(add) and add in (None, []), "no CapAdd", "CapAdd %s" % short(add)


def _not_privileged(c: dict[str, Any], e: Expected) -> Result:
    value = dig(c, "HostConfig", "Privileged")
    return value is False, "Privileged false", "Privileged %s" % short(value)


def _no_new_privileges(c: dict[str, Any], e: Expected) -> Result:
    opts = parse_security_opts(dig(c, "HostConfig", "SecurityOpt"))
    values = opts.no_new_privileges
    ok = bool(values) and all(value is True for value in values)
    return ok, "no-new-privileges=true (never =false)", "no-new-privileges %s" % (
        ["unparseable" if v is None else str(v).lower() for v in values] or "absent")


def _inline_seccomp(c: dict[str, Any]) -> tuple[Any, str | None]:
    values = parse_security_opts(dig(c, "HostConfig", "SecurityOpt")).seccomp
    if not values:
        return None, "no seccomp option (the engine's default profile)"
    if len(values) > 1:
        return None, "%d seccomp options" % len(values)
    return parse_seccomp_value(values[0])


def _seccomp_shipped(c: dict[str, Any], e: Expected) -> Result:
    expected = "the shipped %s profile, inline, semantically equal" % e.seccomp_name
    profile, problem = _inline_seccomp(c)
    if problem:
        return False, expected, problem
    if e.shipped_seccomp is None:
        return False, expected, "the evidence names no shipped profile (%s)" % short(e.seccomp_name)
    if profile != e.shipped_seccomp:
        return False, expected, "a different seccomp profile (sha256 of canonical JSON %s)" % (
            _seccomp_digest(profile))
    if e.bundle_seccomp != e.shipped_seccomp:
        return False, expected, "profile/seccomp.json differs from the shipped %s" % e.seccomp_name
    return True, expected, "equal to %s" % e.seccomp_name


def _seccomp_digest(profile: Any) -> str:
    return hashlib.sha256(canonical(profile)).hexdigest()[:16]


def _seccomp_denies_ptrace(c: dict[str, Any], e: Expected) -> Result:
    profile, problem = _inline_seccomp(c)
    expected = "seccomp denies %s" % ", ".join(PTRACE_SYSCALLS)
    if problem:
        return False, expected, problem
    allowed = [name for name in PTRACE_SYSCALLS if seccomp_allows(profile, name)]
    return not allowed, expected, ("allows %s" % ", ".join(allowed)) if allowed else "denied"


def _security_opts_known(c: dict[str, Any], e: Expected) -> Result:
    others = parse_security_opts(dig(c, "HostConfig", "SecurityOpt")).others
    apparmor = dig(c, "AppArmorProfile")
    ok = not others and apparmor != "unconfined"
    return ok, "only no-new-privileges and seccomp; AppArmor not unconfined", \
        "other options %s, AppArmorProfile %s" % (others, short(apparmor))


def _paths(field: str, attr: str) -> Callable[[dict[str, Any], Expected], Result]:
    def check(c: dict[str, Any], e: Expected) -> Result:
        baseline = getattr(e, attr)
        ok, observed = missing_paths(as_list(dig(c, "HostConfig", field)), baseline)
        return ok, "%s include %s" % (field, baseline), observed
    return check


def _limits(c: dict[str, Any], e: Expected) -> Result:
    if e.limits is None:
        return False, "the profile's limits", e.limits_problem or "no limits"
    host = as_dict(c.get("HostConfig"))
    memory = e.limits["memory_mb"] * MIB
    nano = host.get("NanoCpus")
    if nano in (0, None) and host.get("CpuPeriod"):
        quota, period = host.get("CpuQuota"), host.get("CpuPeriod")
        nano = (quota * 1_000_000_000 // period if isinstance(quota, int) and quota > 0
                and isinstance(period, int) and period > 0 else 0)
    expected = "PidsLimit %d, Memory %d, MemorySwap %d, NanoCpus %d" % (
        e.limits["pids"], memory, memory, e.limits["cpus_milli"] * 1_000_000)
    observed = "PidsLimit %s, Memory %s, MemorySwap %s, NanoCpus %s" % (
        host.get("PidsLimit"), host.get("Memory"), host.get("MemorySwap"), nano)
    ok = (host.get("PidsLimit") == e.limits["pids"] and host.get("Memory") == memory
          and host.get("MemorySwap") == memory and nano == e.limits["cpus_milli"] * 1_000_000)
    return ok, expected, observed


def _mounts(c: dict[str, Any]) -> tuple[list[dict[str, Any]], list[dict[str, Any]], list[str]]:
    return ([m for m in as_list(dig(c, "HostConfig", "Mounts")) if isinstance(m, dict)],
            [m for m in as_list(c.get("Mounts")) if isinstance(m, dict)],
            [str(b) for b in as_list(dig(c, "HostConfig", "Binds"))])


def _top_mount(c: dict[str, Any], destination: str) -> dict[str, Any] | None:
    found = [m for m in _mounts(c)[1] if m.get("Destination") == destination]
    return found[0] if len(found) == 1 else None


def _binds_exact(c: dict[str, Any], e: Expected) -> Result:
    host_mounts, mounts, binds = _mounts(c)
    problems = []
    if binds:
        problems.append("Binds %s" % binds)
    if as_list(dig(c, "HostConfig", "VolumesFrom")) or as_dict(dig(c, "Config", "Volumes")):
        problems.append("volumes from elsewhere")
    if sorted((m.get("Type"), m.get("Target")) for m in host_mounts) != [
            ("bind", "/in"), ("bind", "/out")]:
        problems.append("HostConfig.Mounts %s" % [(m.get("Type"), m.get("Target"))
                                                  for m in host_mounts])
    if sorted((m.get("Type"), m.get("Destination")) for m in mounts) != [
            ("bind", "/in"), ("bind", "/out")]:
        problems.append("Mounts %s" % [(m.get("Type"), m.get("Destination")) for m in mounts])
    for mount in mounts:
        if mount.get("Propagation", "") not in SAFE_PROPAGATION:
            problems.append("%s propagation %s" % (
                mount.get("Destination"), mount.get("Propagation")))
    for mount in host_mounts:
        propagation = dig(mount, "BindOptions", "Propagation", default="")
        if propagation not in SAFE_PROPAGATION:
            problems.append("%s propagation %s" % (mount.get("Target"), propagation))
    suffix = "/%s/%s/" % (e.run_id, e.identity)
    for mount in mounts:
        destination = mount.get("Destination")
        source = mount.get("Source")
        if destination in ("/in", "/out") and not (
                isinstance(source, str) and source.endswith(suffix + destination[1:])
                and posixpath.normpath(source) == source):
            problems.append("%s from %s, expected a run directory .../%s%s" % (
                destination, short(source), suffix.strip("/"), destination))
    return not problems, "exactly two binds: <run dir>/%s/in -> /in, <run dir>/%s/out -> /out" % (
        e.identity, e.identity), "; ".join(problems) or "as expected"


def _bind_mode(destination: str, writable: bool) -> Callable[[dict[str, Any], Expected], Result]:
    def check(c: dict[str, Any], e: Expected) -> Result:
        mount = _top_mount(c, destination)
        host = [m for m in _mounts(c)[0] if m.get("Target") == destination]
        if mount is None:
            return False, "%s bind" % destination, "no single %s mount" % destination
        readonly = host[0].get("ReadOnly", False) if len(host) == 1 else None
        ok = (mount.get("Type") == "bind" and mount.get("RW") is writable
              and readonly is (not writable))
        return ok, "%s bind RW=%s" % (destination, str(writable).lower()), \
            "RW %s, ReadOnly %s" % (short(mount.get("RW")), short(readonly))
    return check


def _no_socket_mounts(c: dict[str, Any], e: Expected) -> Result:
    host_mounts, mounts, binds = _mounts(c)
    paths = [m.get("Source") for m in host_mounts] + [m.get("Target") for m in host_mounts]
    paths += [m.get("Source") for m in mounts] + [m.get("Destination") for m in mounts]
    paths += [part for bind in binds for part in bind.split(":")[:2]]
    bad = socket_mounts(paths)
    return not bad, "no engine socket or socket directory mounted", (
        "mounted %s" % bad if bad else "none")


def _tmpfs_tmp(c: dict[str, Any], e: Expected) -> Result:
    tmpfs = dig(c, "HostConfig", "Tmpfs")
    size = e.limits["tmpfs_tmp_mb"] * MIB if e.limits else None
    expected = "Tmpfs exactly %s with noexec,nosuid,nodev, size %s" % (SANDBOX_TMP, size)
    if not isinstance(tmpfs, dict) or sorted(tmpfs) != [SANDBOX_TMP]:
        return False, expected, "Tmpfs %s" % short(tmpfs)
    return tmpfs_hardened(tmpfs[SANDBOX_TMP], size), expected, "%s %s" % (
        SANDBOX_TMP, short(tmpfs[SANDBOX_TMP]))


def _cgroupns_private(c: dict[str, Any], e: Expected) -> Result:
    mode = dig(c, "HostConfig", "CgroupnsMode")
    return mode == "private", "CgroupnsMode private", "CgroupnsMode %s" % short(mode)


def _no_host_namespaces(c: dict[str, Any], e: Expected) -> Result:
    host = as_dict(c.get("HostConfig"))
    modes = {key: host.get(key)
             for key in ("PidMode", "IpcMode", "UTSMode", "UsernsMode", "Cgroup", "NetworkMode")}
    ok = (modes["PidMode"] == "" and modes["IpcMode"] == "private" and modes["UTSMode"] == ""
          and modes["UsernsMode"] == "" and modes["Cgroup"] in ("", None)
          and modes["NetworkMode"] == "none")
    return ok, "PidMode/UTSMode/UsernsMode empty, IpcMode private, NetworkMode none", \
        ", ".join("%s %s" % (k, short(v)) for k, v in modes.items())


def _no_devices(c: dict[str, Any], e: Expected) -> Result:
    host = as_dict(c.get("HostConfig"))
    found = {key: host.get(key) for key in ("Devices", "DeviceCgroupRules", "DeviceRequests")
             if as_list(host.get(key))}
    return not found, "no devices, device rules or requests", short(found) if found else "none"


def _log_driver(c: dict[str, Any], e: Expected) -> Result:
    # The profile's own options only: the engine merges the daemon's --log-opt for other keys
    # (measured), which the inspect_fields finding judges against data/inspect-fields.yml.
    config = as_dict(c.get("HostConfig")).get("LogConfig")
    options = as_dict(dig(config, "Config"))
    ok = dig(config, "Type") == _profile.LOG_DRIVER and isinstance(dig(config, "Config"), dict) \
        and all(options.get(key) == value for key, value in _profile.LOG_OPTS.items())
    return ok, "LogConfig %s %s" % (_profile.LOG_DRIVER, _profile.LOG_OPTS), short(config)


def _user(c: dict[str, Any], e: Expected) -> Result:
    user = dig(c, "Config", "User")
    expected_user = _profile.identity_user(e.identity)
    parsed = parse_user(user)
    groups = as_list(dig(c, "HostConfig", "GroupAdd"))
    ok = parsed == parse_user(expected_user) and not groups
    if e.identity == _profile.WORKLOAD_IDENTITY and (parsed is None or parsed[0] == 0):
        ok = False
    return ok, "User %s, no supplementary groups%s" % (
        expected_user, " (non-root)" if e.identity == _profile.WORKLOAD_IDENTITY else ""), \
        "User %s, GroupAdd %s" % (short(user), groups)


def _env(c: dict[str, Any], e: Expected) -> Result:
    env = parse_env(dig(c, "Config", "Env"))
    problems = []
    extra = sorted(set(env) - set(e.env.environment))
    if extra:
        problems.append("keys beyond the injected set: %s" % ", ".join(extra))
    for key, pred in e.env.environment.items():
        if key in env:
            why = predicate(as_dict(pred), True, env[key], e.env)
            if why:
                problems.append("%s=%s" % (key, why))
    return not problems, "Env keys within %s with their expected values" % sorted(
        e.env.environment), "; ".join(problems) or "keys %s" % sorted(env)


STATIC_CHECKS: dict[str, tuple[Callable[[dict[str, Any], Expected], Result], tuple[str, ...]]] = {
    "network_none": (_network_none, ("/HostConfig/NetworkMode", "/NetworkSettings/Networks")),
    "no_ports": (_no_ports, ("/HostConfig/PortBindings", "/NetworkSettings/Ports")),
    "dns_loopback": (_dns_loopback, ("/HostConfig/Dns", "/HostConfig/ExtraHosts")),
    "readonly_rootfs": (_readonly_rootfs, ("/HostConfig/ReadonlyRootfs",)),
    "cap_drop_all": (_cap_drop_all, ("/HostConfig/CapDrop",)),
    "no_cap_add": (_no_cap_add, ("/HostConfig/CapAdd",)),
    "not_privileged": (_not_privileged, ("/HostConfig/Privileged",)),
    "no_new_privileges": (_no_new_privileges, ("/HostConfig/SecurityOpt",)),
    "seccomp_shipped": (_seccomp_shipped, ("/HostConfig/SecurityOpt",)),
    "seccomp_denies_ptrace": (_seccomp_denies_ptrace, ("/HostConfig/SecurityOpt",)),
    "security_opts_known": (_security_opts_known, ("/HostConfig/SecurityOpt", "/AppArmorProfile")),
    "masked_paths": (_paths("MaskedPaths", "masked_paths"), ("/HostConfig/MaskedPaths",)),
    "readonly_paths": (_paths("ReadonlyPaths", "readonly_paths"), ("/HostConfig/ReadonlyPaths",)),
    "limits": (_limits, ("/HostConfig/PidsLimit", "/HostConfig/Memory", "/HostConfig/NanoCpus")),
    "binds_exact": (_binds_exact, ("/HostConfig/Mounts", "/Mounts", "/HostConfig/Binds")),
    "bind_in_ro": (_bind_mode("/in", False), ("/Mounts",)),
    "bind_out_rw": (_bind_mode("/out", True), ("/Mounts",)),
    "no_socket_mounts": (_no_socket_mounts, ("/Mounts", "/HostConfig/Binds")),
    "tmpfs_tmp": (_tmpfs_tmp, ("/HostConfig/Tmpfs",)),
    "cgroupns_private": (_cgroupns_private, ("/HostConfig/CgroupnsMode",)),
    "no_host_namespaces": (_no_host_namespaces, ("/HostConfig/PidMode", "/HostConfig/IpcMode")),
    "no_devices": (_no_devices, ("/HostConfig/Devices",)),
    "log_driver": (_log_driver, ("/HostConfig/LogConfig",)),
    "user": (_user, ("/Config/User", "/HostConfig/GroupAdd")),
    "env": (_env, ("/Config/Env",)),
}


def _compose(base: dict[str, tuple[Callable[[dict[str, Any], Expected], Result], tuple[str, ...]]],
             ) -> dict[str, tuple[Callable[[dict[str, Any], Expected], Result], tuple[str, ...]]]:
    """Podman's checks: the same ids, some reading Podman's evidence instead, some adding what
    the OCI spec must say to the Docker check."""
    checks = dict(base)
    checks.update(_profile_podman.REPLACE)
    for check_id, (also, pointers) in _profile_podman.ALSO.items():
        docker_check, docker_pointers = base[check_id]
        checks[check_id] = (_both(docker_check, also), docker_pointers + pointers)
    return checks


def _both(first: Callable[[dict[str, Any], Expected], Result],
          second: Callable[[dict[str, Any], Expected], Result],
          ) -> Callable[[dict[str, Any], Expected], Result]:
    def check(c: dict[str, Any], e: Expected) -> Result:
        results = (first(c, e), second(c, e))
        return (all(ok for ok, dummy, dummy2 in results),
                "; ".join(wanted for dummy, wanted, dummy2 in results),
                "; ".join(observed for dummy, dummy2, observed in results))
    return check


RUNTIME_CHECKS = {"docker": STATIC_CHECKS, "podman": _compose(STATIC_CHECKS)}


def expected_for(evidence: Evidence, identity: str, expectations: dict[str, Any]) -> Expected:
    run = evidence.doc("run.json")
    runtime = evidence.runtime()
    name = dig(run, "seccomp_profile")
    try:
        shipped = _seccomp.seccomp_profile(name) if isinstance(name, str) else None
    except KeyError:
        shipped = None
    limits, problem = profile_limits(evidence.doc(PROFILE))
    inspect = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
    hostname = dig(inspect, "Config", "Hostname")
    runtime_data = as_dict(dig(expectations, "runtimes", runtime))
    run_id = dig(run, "run_id")
    image_id = dig(run, "image_id")
    facts = evidence.doc("engine/facts.json")
    architecture = dig(facts, "architecture")
    return Expected(
        runtime=runtime,
        oci_spec=evidence.identity_doc(identity, OCI_SPEC),
        runtime_seccomp=seccomp_for_runtime(shipped, architecture),
        architecture=architecture if isinstance(architecture, str) else None,
        container_dirs=container_dirs(facts, dig(inspect, "Id")),
        identity=identity,
        run_id=run_id if isinstance(run_id, str) else None,
        image_id=image_id if isinstance(image_id, str) else None,
        seccomp_name=name if isinstance(name, str) else None,
        shipped_seccomp=shipped,
        bundle_seccomp=evidence.doc("profile/seccomp.json"),
        limits=limits,
        limits_problem=problem,
        masked_paths=[str(p) for p in as_list(runtime_data.get("masked_paths"))],
        readonly_paths=[str(p) for p in as_list(runtime_data.get("readonly_paths"))],
        env=Context(
            container_hostname=hostname if isinstance(hostname, str) and hostname else None,
            container_id=dig(inspect, "Id"),
            limits=limits or {},
            environment=environment(expectations, runtime, identity),
        ),
    )


def argv_departures(argv: list[str], expected: list[str]) -> list[str]:
    """How argv departs from the profile's argv, flag by flag: what was removed, added or
    given another value (named with the flag it belongs to), e.g. "removed `--read-only`"."""
    matcher = difflib.SequenceMatcher(a=expected, b=argv, autojunk=False)
    departures = []
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        old, new = expected[i1:i2], argv[j1:j2]
        # A value alone is named with its flag: `--security-opt seccomp=unconfined`.
        flag = expected[i1 - 1] if i1 > 0 and expected[i1 - 1].startswith("-") else None
        if flag and tag == "replace" and not old[0].startswith("-") and not new[0].startswith("-"):
            old, new = [flag, *old], [flag, *new]
        if tag == "delete":
            departures.append("removed `%s`" % " ".join(old))
        elif tag == "insert":
            departures.append("added `%s`" % " ".join(new))
        else:
            departures.append("`%s` instead of `%s`" % (" ".join(new), " ".join(old)))
    return departures


def _argv_check(evidence: Evidence, identity: str, c: dict[str, Any], e: Expected) -> Check:
    """The stored argv is the profile's rendering for this run (and is what result.json ran)."""
    where = identity_path(identity, "argv.json")
    argv = evidence.identity_doc(identity, "argv.json")
    mount = _top_mount(c, "/in")
    source = mount.get("Source") if mount else None
    if not (isinstance(argv, list) and argv and all(isinstance(a, str) for a in argv)):
        return Check("argv_rendered", MISSING, "%s: no argv" % identity, identity, refs=(where,))
    if not (isinstance(source, str) and e.run_id and e.image_id and e.seccomp_name and e.limits):
        return Check("argv_rendered", FAIL, "%s: cannot render the expected argv (run id, image, "
                     "seccomp profile, limits or /in source missing)" % identity, identity,
                     refs=(where,))
    # <run root>/<run id>/<identity>/in: the run root is an operator setting, the rest is not.
    run_root = posixpath.dirname(posixpath.dirname(posixpath.dirname(source)))
    try:
        paths = _profile.run_paths(run_root, e.run_id, identity, e.seccomp_name)
        expected = _profile.create_argv(argv[0], e.run_id, identity, e.image_id, paths, e.limits,
                                        runtime=e.runtime)
    except _profile.ProfileError as exc:
        return Check("argv_rendered", FAIL, "%s: %s" % (identity, exc), identity, refs=(where,))
    problems = []
    if posixpath.basename(argv[0]) != e.runtime:
        problems.append("argv runs %s, not the %s CLI" % (short(argv[0], 80), e.runtime))
    if argv[1:] != expected[1:]:
        problems.append("argv departs from the profile's rendering: %s" % short(
            "; ".join(argv_departures(argv[1:], expected[1:])), 400))
    commands = dig(evidence.identity_doc(identity, "result.json"), "commands")
    if isinstance(commands, list) and commands and commands[0] != argv:
        problems.append("result.json's first command is not argv.json")
    if problems:
        return Check("argv_rendered", FAIL, "%s: %s" % (identity, "; ".join(problems)), identity,
                     expected="create_argv(...) of the shipped profile", observed=short(argv, 240),
                     refs=(where, identity_path(identity, "result.json")))
    return Check("argv_rendered", PASS, "%s: argv is the profile's rendering" % identity,
                 identity, refs=(where,))


def _profile_document_check(evidence: Evidence) -> Check:
    where = "profile/profile.json"
    document = evidence.doc(where)
    run = evidence.doc("run.json")
    problems = []
    if dig(document, "name") != _profile.PROFILE_NAME:
        problems.append("name %s, expected %s" % (short(dig(document, "name")),
                                                  _profile.PROFILE_NAME))
    if dig(document, "seccomp_profile") != dig(run, "seccomp_profile"):
        problems.append("seccomp_profile %s, run.json says %s" % (
            short(dig(document, "seccomp_profile")), short(dig(run, "seccomp_profile"))))
    if dig(run, "seccomp_profile") not in _profile.SECCOMP_PROFILES:
        problems.append("seccomp profile %s is not shipped" % short(dig(run, "seccomp_profile")))
    if dig(document, "log_driver") != _profile.LOG_DRIVER:
        problems.append("log_driver %s" % short(dig(document, "log_driver")))
    dns = dig(document, "dns")
    # Docker's resolver is a loopback address; Podman has none at all (dns_servers).
    wanted_dns = list(_profile.dns_servers(evidence.runtime()))
    if not (isinstance(dns, list) and dns == wanted_dns and all(map(is_loopback, dns))):
        problems.append("dns %s" % short(dns))
    for identity in _profile.IDENTITIES:
        if dig(document, "identities", identity, "user") != _profile.identity_user(identity):
            problems.append("identity %s user %s" % (
                identity, short(dig(document, "identities", identity, "user"))))
    dummy, limits_problem = profile_limits(evidence.doc(PROFILE))
    if limits_problem:
        problems.append(limits_problem)
    if problems:
        return Check("profile_document", FAIL, "profile/profile.json: %s" % "; ".join(problems),
                     refs=(where,))
    return Check("profile_document", PASS, "profile/profile.json is the shipped profile within "
                 "its bounds", refs=(where,))


def check_profile(evidence: Evidence, expectations: dict[str, Any],
                  identities: list[str]) -> Finding:
    finding = Finding("profile")
    finding.add(_profile_document_check(evidence))
    checks = RUNTIME_CHECKS[evidence.runtime()]
    for identity in identities:
        where = identity_path(identity, "inspect.json")
        spec_where = identity_path(identity, OCI_SPEC)
        container = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
        if container is None:
            # One MISSING per check id keeps every row bound to it NOT_RUN for this identity.
            for check_id in [*checks, "argv_rendered"]:
                finding.add(Check(check_id, MISSING, "no inspect document for %s" % identity,
                                  identity, refs=(where,)))
            continue
        expected = expected_for(evidence, identity, expectations)
        for check_id, (function, pointers) in checks.items():
            try:
                holds, wanted, observed = function(container, expected)
            except (TypeError, ValueError, AttributeError, KeyError) as exc:
                # A field of an unexpected type: malformed evidence, never a crash.
                holds, wanted, observed = False, check_id, "unreadable field (%s)" % exc
            finding.add(Check(
                check_id, PASS if holds else FAIL,
                "%s on %s: %s" % (check_id, identity, "holds" if holds else observed),
                identity, expected=wanted, observed=observed,
                refs=tuple("%s#%s" % (spec_where, pointer[len(_profile_podman.SPEC):])
                           if pointer.startswith(_profile_podman.SPEC)
                           else "%s#/0%s" % (where, pointer) for pointer in pointers)))
        finding.add(_argv_check(evidence, identity, container, expected))
    return finding
