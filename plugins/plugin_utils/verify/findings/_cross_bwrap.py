# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The cross-checks of a run under bubblewrap (issue 19): a claim of the static evidence
(findings/_profile_bwrap's own checks) and what the probe saw against it, with the engines'
contradiction functions (findings/_cross_checks) where they read the probe only. A
contradiction means the records were assembled from different runs or edited: FAIL.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable

from ansible_collections.sandbox.attest.plugins.module_utils import _seccomp
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._bwrap_evidence import (
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
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import _cross_checks
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    ProbeOutput,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile_bwrap import (
    TMP,
)

Claim = Callable[[Run, Expected], bool]


def _claim_hostname(r: Run, e: Expected) -> bool:
    return r.has("--hostname", e.name)


def _hostname_seen(r: Run, e: Expected, out: ProbeOutput) -> list[str] | None:
    env = _cross_checks._first(out, "PR-ENV-1", "environ")
    if env is None or out.meta is None:
        return None
    seen = ["HOSTNAME=%s" % short(dig(env, "values", "HOSTNAME"))] if dig(
        env, "values", "HOSTNAME") is not None else []
    if out.meta.get("hostname") != e.name:
        seen.append("uname nodename %s" % short(out.meta.get("hostname")))
    return seen


def _user_seen(r: Run, e: Expected, out: ProbeOutput) -> list[str] | None:
    if out.meta is None:
        return None
    meta = out.meta
    return [] if (meta.get("uid"), meta.get("euid"), meta.get("gid")) == (e.uid, e.uid, e.gid) \
        else ["uid %s euid %s gid %s" % (meta.get("uid"), meta.get("euid"), meta.get("gid"))]


def _pids_seen(r: Run, e: Expected, out: ProbeOutput) -> list[str] | None:
    fork = _cross_checks._first(out, "PR-PIDS-1", "fork")
    if fork is None:
        return None
    forked, limit = fork.get("forked"), e.limits["pids"]
    if fork.get("limit_hit") is not True:
        return ["no fork failed (forked %s)" % short(forked)]
    return ["forked %s with pids.max %d" % (forked, limit)] if isinstance(
        forked, int) and forked >= limit else []


def _seccomp_seen(r: Run, e: Expected, out: ProbeOutput) -> list[str] | None:
    status = _cross_checks._first(out, "PR-SECCOMP-1", "read", "/proc/self/status")
    if status is None:
        return None
    seen = [] if status.get("Seccomp") == 2 else ["Seccomp mode %s" % short(status.get("Seccomp"))]
    profile = _seccomp.seccomp_profile(e.seccomp_name)
    for syscall, probe in (("ptrace", "PR-PTRACE-1"), ("unshare", "PR-USERNS-1")):
        if not seccomp_allows(profile, syscall):
            seen += _cross_checks._successes(out, probe) or []
    return seen


def _probe_only(contra: _cross_checks.Contra) -> Callable[[Run, Expected, ProbeOutput],
                                                          list[str] | None]:
    def seen(r: Run, e: Expected, out: ProbeOutput) -> list[str] | None:
        return contra({}, out)
    return seen


# Each cross-check: (claim text, the claim - a static check of findings/_profile_bwrap, by its
# id, as check_static already decided it, or a function of the run -, what the probe saw
# against it).
Seen = Callable[[Run, Expected, ProbeOutput], "list[str] | None"]
CROSS_CHECKS: dict[str, tuple[str, str | Claim, Seen]] = {
    "xc_network": ("a network namespace of its own", "network_none",
                   _probe_only(_cross_checks._network)),
    "xc_dns": ("no resolver file", "dns_loopback", _probe_only(_cross_checks._dns)),
    "xc_rootfs": ("/ read-only", "readonly_rootfs",
                  _probe_only(_cross_checks._writes("PR-FS-ESC-1"))),
    "xc_in_ro": ("/in read-only", "bind_in_ro",
                 _probe_only(_cross_checks._writes("PR-FS-RO-IN"))),
    "xc_exec": (TMP + " noexec", "tmpfs_tmp", _probe_only(_cross_checks._exec)),
    "xc_caps": ("no capabilities", "cap_drop_all", _probe_only(_cross_checks._caps)),
    "xc_nnp": ("NoNewPrivs 1", "no_new_privileges", _probe_only(_cross_checks._nnp)),
    "xc_seccomp": ("the shipped filter", "seccomp_shipped", _seccomp_seen),
    "xc_user": ("the identity's uid", "user", _user_seen),
    "xc_pids": ("the run's pids ceiling", "limits", _pids_seen),
    "xc_hostname": ("--hostname the run's name", _claim_hostname, _hostname_seen),
    "xc_mount": ("no capabilities", "cap_drop_all", _probe_only(_cross_checks._mount)),
    "xc_socket": ("no socket bound", "no_socket_mounts", _probe_only(_cross_checks._socket)),
}


def _out_ok(r: Run, e: Expected, out: ProbeOutput) -> Check:
    """What the run read back of /out/ok must be what the probe wrote, naming this sandbox."""
    writes = out.find("PR-FS-OUT-OK", "write", "/out/ok")
    if out.observations("PR-FS-OUT-OK") is None or len(writes) != 1:
        return Check("xc_out_ok", MISSING, "%s: no PR-FS-OUT-OK write observation" % e.identity,
                     e.identity)
    copied = [item for item in as_list(r.out.get("copied"))
              if isinstance(item, dict) and item.get("name") == "ok"]
    read = copied[0] if len(copied) == 1 else None
    want = ("sandbox-attest ok %s\n" % e.name).encode()
    problems = []
    if read is None:
        problems.append("the run read no out/ok")
    elif (read.get("sha256"), read.get("bytes")) != (writes[0].get("sha256"),
                                                     writes[0].get("bytes")):
        problems.append("out/ok %s/%s bytes, the probe wrote %s/%s" % (
            short(read.get("sha256")), read.get("bytes"), short(writes[0].get("sha256")),
            writes[0].get("bytes")))
    elif read.get("sha256") != hashlib.sha256(want).hexdigest():
        problems.append("out/ok does not name this sandbox")
    return Check("xc_out_ok", FAIL if problems else PASS, "%s: %s" % (
        e.identity, "; ".join(problems) or "out/ok read back as written"), e.identity)


def check_cross(runs: dict[str, Run], expected: dict[str, Expected],
                outputs: dict[str, ProbeOutput], static: Finding) -> Finding:
    """static: check_static's finding of the same runs, whose outcomes are the claims."""
    held = {(check.identity, check.id) for check in static.checks if check.outcome == PASS}
    finding = Finding("cross_checks")
    for identity, run in runs.items():
        e, out = expected[identity], outputs.get(identity) or ProbeOutput(present=False)
        for check_id, (claim_text, claim, contra) in CROSS_CHECKS.items():
            if not out.present or not run.view or "error" in run.view:
                finding.add(Check(check_id, MISSING, "%s on %s: evidence missing" % (
                    check_id, identity), identity))
                continue
            try:
                claimed = (identity, claim) in held if isinstance(claim, str) else claim(run, e)
                seen = contra(run, e, out)
            except (TypeError, ValueError, AttributeError, IndexError, KeyError) as exc:
                finding.add(Check(check_id, FAIL, "%s on %s: unreadable evidence (%s)" % (
                    check_id, identity, exc), identity))
                continue
            if seen is None:
                outcome, message = MISSING, "the probe line is missing"
            elif not claimed:
                outcome, message = FAIL, "the static evidence does not claim %s" % claim_text
            elif seen:
                outcome, message = FAIL, "%s claimed, the probe saw %s" % (claim_text,
                                                                           "; ".join(seen))
            else:
                outcome, message = PASS, "%s, nothing seen against it" % claim_text
            finding.add(Check(check_id, outcome, "%s on %s: %s" % (check_id, identity, message),
                              identity, expected=claim_text, observed=message))
        finding.add(_out_ok(run, e, out))
    return finding
