# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "cross_checks": the engine's view and the probe's view must agree.

Each cross-check takes a claim the inspect document makes (network none, read-only root, ...)
and looks for an observation inside the container that contradicts it. A contradiction means
the evidence was assembled from different runs or edited: FAILED, whatever else holds. When
the static side does not make the claim, the profile finding already fails; nothing to cross.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import identity_path
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    SANDBOX_TMP,
    normalise_cap,
    parse_options,
    parse_seccomp_value,
    parse_security_opts,
    parse_user,
    seccomp_allows,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    inspect_doc,
    is_loopback,
    short,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    ProbeOutput,
)

SOCKET_PRESENT_ERRNOS = ("EACCES", "ECONNREFUSED", "EPERM")


def _succeeded(obs: dict[str, Any]) -> bool:
    ret = obs.get("ret")
    return isinstance(ret, int) and not isinstance(ret, bool) and ret >= 0 and obs.get(
        "errno") is None


def _successes(output: ProbeOutput, probe: str, op: str | None = None) -> list[str] | None:
    observations = output.observations(probe)
    if observations is None:
        return None
    return ["%s %s succeeded" % (obs.get("op"), obs.get("target")) for obs in observations
            if (op is None or obs.get("op") == op) and _succeeded(obs)]


def _first(output: ProbeOutput, probe: str, op: str, target: str | None = None) -> Any:
    found = output.find(probe, op, target)
    return found[0] if len(found) == 1 else None


def _no_sys_admin(c: dict[str, Any]) -> bool:
    drop = [normalise_cap(cap) for cap in as_list(dig(c, "HostConfig", "CapDrop"))]
    add = [normalise_cap(cap) for cap in as_list(dig(c, "HostConfig", "CapAdd"))]
    return "ALL" in drop and not add and dig(c, "HostConfig", "Privileged") is False


def _inline_seccomp(c: dict[str, Any]) -> Any:
    values = parse_security_opts(dig(c, "HostConfig", "SecurityOpt")).seccomp
    if len(values) != 1:
        return None
    return parse_seccomp_value(values[0])[0]


# Each cross-check: (claim text, claim(inspect) -> bool, contradictions(inspect, output) ->
# list of what the probe saw against the claim, or None when the probe line is missing).
Claim = Callable[[dict[str, Any]], bool]
Contra = Callable[[dict[str, Any], ProbeOutput], "list[str] | None"]


def _network(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    interfaces = _first(out, "PR-NETIF-1", "getifaddrs")
    route = _first(out, "PR-NETIF-1", "read", "/proc/net/route")
    route6 = _first(out, "PR-NETIF-1", "read", "/proc/net/ipv6_route")
    connects = _successes(out, "PR-NET-2", "udp_connect")
    if interfaces is None or connects is None:
        return None
    seen = []
    names = [str(n) for n in as_list(interfaces.get("interfaces"))]
    if any(name != "lo" for name in names):
        seen.append("interfaces %s" % names)
    for label, obs in (("IPv4", route), ("IPv6", route6)):
        if isinstance(obs, dict) and obs.get("default_route") is True:
            seen.append("an %s default route" % label)
    return seen + connects


def _dns(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    read = _first(out, "PR-NET-1", "read", "/etc/resolv.conf")
    if read is None:
        return None
    servers = [s for s in as_list(read.get("nameservers")) if not is_loopback(s)]
    return ["resolv.conf names %s" % servers] if servers else []


def _writes(probe: str) -> Contra:
    def contra(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
        return _successes(out, probe, "open_write")
    return contra


def _exec(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    return _successes(out, "PR-EXEC-1", "execve")


def _caps(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    status = _first(out, "PR-CAPS-1", "read", "/proc/self/status")
    sockets = _successes(out, "PR-SOCK-1", "socket")
    if status is None or sockets is None:
        return None
    seen = []
    for key in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        value = status.get(key)
        try:
            nonzero = int(str(value), 16) != 0
        except ValueError:
            nonzero = True
        if nonzero:
            seen.append("%s %s" % (key, short(value)))
    return seen + sockets


def _nnp(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    prctl = _first(out, "PR-NNP-1", "prctl")
    status = _first(out, "PR-NNP-1", "read", "/proc/self/status")
    if prctl is None and status is None:
        return None
    seen = []
    if isinstance(prctl, dict) and prctl.get("ret") != 1:
        seen.append("PR_GET_NO_NEW_PRIVS returned %s" % short(prctl.get("ret")))
    if isinstance(status, dict) and status.get("NoNewPrivs") != 1:
        seen.append("NoNewPrivs %s" % short(status.get("NoNewPrivs")))
    return seen


def _seccomp(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    status = _first(out, "PR-SECCOMP-1", "read", "/proc/self/status")
    if status is None:
        return None
    seen = []
    if status.get("Seccomp") != 2:
        seen.append("Seccomp mode %s" % short(status.get("Seccomp")))
    profile = _inline_seccomp(c)
    for syscall, probe in (("ptrace", "PR-PTRACE-1"), ("unshare", "PR-USERNS-1")):
        if not seccomp_allows(profile, syscall):
            seen += _successes(out, probe) or []
    return seen


def _user(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    meta = out.meta
    if meta is None:
        return None
    user = parse_user(dig(c, "Config", "User"))
    seen = []
    if user is not None:
        if meta.get("uid") != user[0] or meta.get("euid") != user[0]:
            seen.append("uid %s euid %s" % (short(meta.get("uid")), short(meta.get("euid"))))
        if user[1] is not None and meta.get("gid") != user[1]:
            seen.append("gid %s" % short(meta.get("gid")))
    return seen


def _pids(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    fork = _first(out, "PR-PIDS-1", "fork")
    if fork is None:
        return None
    limit = dig(c, "HostConfig", "PidsLimit")
    forked = fork.get("forked")
    seen = []
    if fork.get("limit_hit") is not True:
        seen.append("no fork failed (forked %s)" % short(forked))
    elif isinstance(forked, int) and isinstance(limit, int) and forked >= limit:
        seen.append("forked %d with PidsLimit %d" % (forked, limit))
    return seen


def _hostname(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    env = _first(out, "PR-ENV-1", "environ")
    if env is None or out.meta is None:
        return None
    hostname = dig(c, "Config", "Hostname")
    seen = []
    value = dig(env, "values", "HOSTNAME")
    if value is not None and value != hostname:
        seen.append("HOSTNAME=%s" % short(value))
    if out.meta.get("hostname") != hostname:
        seen.append("uname nodename %s" % short(out.meta.get("hostname")))
    return seen


def _mount(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    mounts = _successes(out, "PR-MOUNT-1", "mount")
    unshares = _successes(out, "PR-USERNS-1", "unshare")
    if mounts is None or unshares is None:
        return None
    return mounts + unshares


def _socket(c: dict[str, Any], out: ProbeOutput) -> list[str] | None:
    observations = out.observations("PR-SOCK-DOCKER")
    if observations is None:
        return None
    return ["%s %s: %s" % (obs.get("op"), obs.get("target"),
                           "connected" if _succeeded(obs) else obs.get("errno"))
            for obs in observations
            if _succeeded(obs) or obs.get("errno") in SOCKET_PRESENT_ERRNOS]


def _claim_tmp_noexec(c: dict[str, Any]) -> bool:
    options = as_dict(dig(c, "HostConfig", "Tmpfs")).get(SANDBOX_TMP)
    return "noexec" in parse_options(options)[0]


def _claim_in_ro(c: dict[str, Any]) -> bool:
    mounts = [m for m in as_list(c.get("Mounts")) if isinstance(m, dict)
              and m.get("Destination") == "/in"]
    return len(mounts) == 1 and mounts[0].get("RW") is False


def _claim_no_socket(c: dict[str, Any]) -> bool:
    paths = [m.get(k) for m in as_list(c.get("Mounts")) if isinstance(m, dict)
             for k in ("Source", "Destination")]
    paths += as_list(dig(c, "HostConfig", "Binds"))
    return not any(isinstance(p, str) and ".sock" in p for p in paths)


CROSS_CHECKS: dict[str, tuple[str, Claim, Contra]] = {
    "xc_network": ("NetworkMode none",
                   lambda c: dig(c, "HostConfig", "NetworkMode") == "none", _network),
    "xc_dns": ("Dns loopback only",
               lambda c: bool(as_list(dig(c, "HostConfig", "Dns"))) and all(
                   map(is_loopback, as_list(dig(c, "HostConfig", "Dns")))), _dns),
    "xc_rootfs": ("ReadonlyRootfs true", lambda c: dig(c, "HostConfig", "ReadonlyRootfs") is True,
                  _writes("PR-FS-ESC-1")),
    "xc_in_ro": ("/in bind read-only", _claim_in_ro, _writes("PR-FS-RO-IN")),
    "xc_exec": ("tmpfs /tmp noexec", _claim_tmp_noexec, _exec),
    "xc_caps": ("CapDrop ALL, no CapAdd, not privileged", _no_sys_admin, _caps),
    "xc_nnp": ("no-new-privileges true",
               lambda c: bool(parse_security_opts(dig(c, "HostConfig", "SecurityOpt"))
                              .no_new_privileges), _nnp),
    "xc_seccomp": ("an inline seccomp profile", lambda c: _inline_seccomp(c) is not None,
                   _seccomp),
    "xc_user": ("Config.User", lambda c: parse_user(dig(c, "Config", "User")) is not None, _user),
    "xc_pids": ("PidsLimit set",
                lambda c: isinstance(dig(c, "HostConfig", "PidsLimit"), int)
                and dig(c, "HostConfig", "PidsLimit") > 0, _pids),
    "xc_hostname": ("Config.Hostname", lambda c: isinstance(dig(c, "Config", "Hostname"), str),
                    _hostname),
    "xc_mount": ("no SYS_ADMIN", _no_sys_admin, _mount),
    "xc_socket": ("no socket mounted", _claim_no_socket, _socket),
}

# What each cross-check reads: inspect pointers ("/...") and probe lines (IDs, or META).
CROSS_REFS: dict[str, tuple[str, ...]] = {
    "xc_network": ("/HostConfig/NetworkMode", "PR-NETIF-1", "PR-NET-2"),
    "xc_dns": ("/HostConfig/Dns", "PR-NET-1"),
    "xc_rootfs": ("/HostConfig/ReadonlyRootfs", "PR-FS-ESC-1"),
    "xc_in_ro": ("/Mounts", "PR-FS-RO-IN"),
    "xc_exec": ("/HostConfig/Tmpfs", "PR-EXEC-1"),
    "xc_caps": ("/HostConfig/CapDrop", "/HostConfig/CapAdd", "PR-CAPS-1", "PR-SOCK-1"),
    "xc_nnp": ("/HostConfig/SecurityOpt", "PR-NNP-1"),
    "xc_seccomp": ("/HostConfig/SecurityOpt", "PR-SECCOMP-1", "PR-PTRACE-1", "PR-USERNS-1"),
    "xc_user": ("/Config/User", "META"),
    "xc_pids": ("/HostConfig/PidsLimit", "PR-PIDS-1"),
    "xc_hostname": ("/Config/Hostname", "PR-ENV-1", "META"),
    "xc_mount": ("/HostConfig/CapDrop", "/HostConfig/CapAdd", "PR-MOUNT-1", "PR-USERNS-1"),
    "xc_socket": ("/Mounts", "PR-SOCK-DOCKER"),
}


def _refs(check_id: str, identity: str) -> tuple[str, ...]:
    ins = identity_path(identity, "inspect.json")
    probe = identity_path(identity, "probe.jsonl")
    return tuple(("%s#/0%s" % (ins, item)) if item.startswith("/") else "%s#%s" % (probe, item)
                 for item in CROSS_REFS.get(check_id, ()))


def _out_ok(evidence: Evidence, identity: str, output: ProbeOutput,
            container: dict[str, Any] | None) -> Check:
    """/out/ok written inside must have arrived in the bundle, byte for byte."""
    path = identity_path(identity, "out/ok")
    probe_ref = identity_path(identity, "probe.jsonl") + "#PR-FS-OUT-OK"
    fetch_ref = identity_path(identity, "fetch.json")
    refs = (probe_ref, path, fetch_ref)
    writes = output.find("PR-FS-OUT-OK", "write", "/out/ok")
    if output.observations("PR-FS-OUT-OK") is None or len(writes) != 1:
        return Check("xc_out_ok", MISSING, "%s: no PR-FS-OUT-OK write observation" % identity,
                     identity, refs=refs)
    write = writes[0]
    entry = evidence.bundle.regular(path)
    if not _succeeded(write):
        if entry is not None:
            return Check("xc_out_ok", FAIL, "%s: the probe could not write /out/ok, yet the "
                         "bundle holds out/ok" % identity, identity, refs=refs)
        return Check("xc_out_ok", PASS, "%s: no write, no file" % identity, identity, refs=refs)
    problems = []
    if entry is None:
        problems.append("/out/ok written but absent from the bundle")
    else:
        if entry.sha256 != write.get("sha256"):
            problems.append("out/ok sha256 %s, the probe wrote %s" % (entry.sha256,
                                                                      short(write.get("sha256"))))
        if entry.size != write.get("bytes"):
            problems.append("out/ok has %d bytes, the probe wrote %s" % (entry.size,
                                                                         short(write.get("bytes"))))
        names = [dig(container, "Id"), dig(container, "Config", "Hostname")]
        accepted = {("sandbox-attest ok %s\n" % name).encode() for name in names if name}
        if entry.data is not None and entry.data not in accepted:
            problems.append("out/ok does not name this container")
    copied = [item for item in as_list(dig(evidence.identity_doc(identity, "fetch.json"),
                                           "copied"))
              if isinstance(item, dict) and item.get("name") == "ok"]
    if len(copied) != 1 or copied[0].get("sha256") != write.get("sha256"):
        problems.append("fetch.json does not record copying ok with the probe's sha256")
    if problems:
        return Check("xc_out_ok", FAIL, "%s: %s" % (identity, "; ".join(problems)), identity,
                     expected="out/ok in the bundle with the probe's sha256",
                     observed="; ".join(problems), refs=refs)
    return Check("xc_out_ok", PASS, "%s: out/ok arrived, sha256 matches" % identity, identity,
                 refs=refs)


def check_cross(evidence: Evidence, identities: list[str],
                probe_outputs: dict[str, ProbeOutput]) -> Finding:
    finding = Finding("cross_checks")
    for identity in identities:
        container = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
        output = probe_outputs.get(identity) or ProbeOutput(present=False)
        for check_id, (claim_text, claim, contra) in CROSS_CHECKS.items():
            refs = _refs(check_id, identity)
            if container is None or not output.present:
                finding.add(Check(check_id, MISSING, "%s on %s: %s missing" % (
                    check_id, identity, "inspect document" if container is None
                    else "probe output"), identity, refs=refs))
                continue
            try:
                claimed = bool(claim(container))
                seen = contra(container, output)
            except (TypeError, ValueError, AttributeError) as exc:
                finding.add(Check(check_id, FAIL, "%s on %s: unreadable evidence (%s)"
                                  % (check_id, identity, exc), identity, refs=refs))
                continue
            if seen is None:
                finding.add(Check(check_id, MISSING, "%s on %s: the probe line is missing"
                                  % (check_id, identity), identity, refs=refs))
            elif not claimed:
                finding.add(Check(check_id, PASS, "%s on %s: the inspect document does not "
                                  "claim %s (see profile)" % (check_id, identity, claim_text),
                                  identity, refs=refs))
            elif seen:
                finding.add(Check(check_id, FAIL, "%s on %s: the inspect document says %s, the "
                                  "probe saw %s" % (check_id, identity, claim_text,
                                                    "; ".join(seen)), identity,
                                  expected=claim_text, observed="; ".join(seen), refs=refs))
            else:
                finding.add(Check(check_id, PASS, "%s on %s: agree (%s)"
                                  % (check_id, identity, claim_text), identity, refs=refs))
        finding.add(_out_ok(evidence, identity, output, container))
    # uid 0 and the workload must really be different users, or the second run proves nothing.
    users = {identity: parse_user(dig(inspect_doc(evidence.identity_doc(identity, "inspect.json")),
                                      "Config", "User")) for identity in identities}
    if all(users.values()) and len({u[0] for u in users.values() if u}) != len(users):
        finding.add(Check("xc_identities", FAIL, "the identities ran as the same uid: %s"
                          % users, refs=tuple(identity_path(i, "inspect.json")
                                              for i in identities)))
    return finding
