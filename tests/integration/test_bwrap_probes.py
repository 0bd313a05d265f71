"""The probe under bubblewrap (issue 19): module_utils/_bwrap's run in a bubblewrap test host
(bwrap_host.py), for both identities and both shipped seccomp profiles, judged by the
verifier's own code against data/expectations.yml's `runtimes.bwrap`; and each weakening bwrap
can express flips its probe. Figures: docs/bwrap-facts.md."""

from __future__ import annotations

import json

import pytest
from bwrap_host import BwrapHost
from probe_judge import failing, judge_output

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import _bwrap_verdict
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
)

IDENTITIES = ("workload", "root")
# What bwrap observes differently from Docker under the same profile (measured), and so what
# runtimes.bwrap models differently: no resolv.conf (no /etc at all); PWD is the environment.
BWRAP_DIFFERS_FROM_DOCKER_DATA = {"PR-NET-1", "PR-ENV-1"}
EXPECTED_CEILINGS = {"pids.max": "64", "memory.limit_in_bytes": "268435456",
                     "memory.memsw.limit_in_bytes": "268435456", "cpu.cfs_period_us": "100000",
                     "cpu.cfs_quota_us": "100000"}


@pytest.fixture(scope="module")
def host():
    bwrap = BwrapHost()
    try:
        yield bwrap
    finally:
        bwrap.remove()


def judge_bwrap(record: dict, identity: str, runtime: str = "bwrap") -> dict[str, str]:
    """The verifier's outcome per probe, as probe_judge.judge gives it for an engine's run, with
    bwrap's context: no inspect document (the hostname the probe read, no container ID: no bwrap
    expectation uses either) and no resolver (the profile's argv gives bwrap none;
    _profile.dns_servers renders for the engines only)."""
    lines = record["lines"]
    return judge_output(list(lines.values()), identity, runtime,
                        hostname=lines["META"]["hostname"], container_id=None, dns=[])


def verdict(record: dict, identity: str, seccomp: str = "targeted-deny"):
    """The verifier's rows for one identity's run (plugin_utils/verify/_bwrap_verdict)."""
    return _bwrap_verdict.judge({identity: record}, record["run_id"], seccomp,
                                record["facts"]["seccomp"]["arch"], identities=(identity,))


def not_passed(found) -> set[str]:
    """The static checks and cross-checks of a verdict that did not pass."""
    return {check.id for finding in (found.profile, found.cross)
            for check in finding.not_passed()}


def run(host: BwrapHost, identity: str, seccomp: str = "targeted-deny",
        weakening: str | None = None, run_id: str | None = None) -> dict:
    record = host.run(identity, seccomp, weakening, run_id=run_id)
    print(json.dumps(record, sort_keys=True))  # the run's record
    assert record["teardown_problems"] == [] and not record["run_dir_left"], record
    return record


@pytest.mark.parametrize("seccomp", ["targeted-deny", "default-deny"])
@pytest.mark.parametrize("identity", IDENTITIES)
def test_hardened_run_passes_every_probe_under_bwrap(host: BwrapHost, identity: str,
                                                     seccomp: str) -> None:
    record = run(host, identity, seccomp)
    lines, facts, result = record["lines"], record["facts"], record["result"]
    uid = profile.IDENTITIES[identity]["uid"]
    assert result["rc"] == 0 and not result["timed_out"], result["stderr"]
    assert lines["META"]["uid"] == uid and lines["META"]["pid"] == 1
    assert lines["END"]["count"] == len(PROBE_ORDER)
    assert failing(judge_bwrap(record, identity)) == set(), judge_bwrap(record, identity)
    # The bwrap data differs from Docker's exactly where bwrap was measured to differ.
    assert failing(judge_bwrap(record, identity, "docker")) == BWRAP_DIFFERS_FROM_DOCKER_DATA
    # What the probe wrote is the identity's own on the host (setpriv, not bwrap --uid).
    assert result["out_ok_owner"] == uid
    # The evidence: setpriv only for the workload, the shipped filter by its digest, the
    # ceilings from the run's cgroup (one fork refused at pids.max), /tmp noexec as mounted.
    launcher = facts["argv"][:facts["argv"].index("bwrap")]
    assert launcher == ["setpriv", "--reuid=%d" % uid, "--regid=%d" % uid, "--clear-groups",
                        "--"]
    # The verifier, from the run's static evidence and the host's view of the sandbox (all
    # seven namespaces its own, no capabilities, the mount table with Docker's system paths
    # covered) and the probe: every row PASS.
    found = verdict(record, identity, seccomp)
    assert set(found.row_status().values()) == {"PASS"}, [
        c.message for f in (found.probes, found.profile, found.cross) for c in f.not_passed()]
    view = result["view"]
    assert view["status"]["CapEff"] == "0000000000000000" and view["status"]["NoNewPrivs"] == "1"
    assert all(view["namespaces"][n] != view["host_namespaces"][n] for n in view["namespaces"])
    assert facts["seccomp"]["profile"] == seccomp and len(facts["seccomp"]["sha256"]) == 64
    ceilings = {c["file"].rsplit("/", 1)[1]: c["value"] for c in facts["ceilings"]
                if c["by"] == "cgroup"}
    assert ceilings == EXPECTED_CEILINGS
    assert int(result["cgroup_stats"]["pids.events"].split()[1]) >= 1
    tmp = facts["tmp_mount"]
    assert tmp["fstype"] == "tmpfs"
    assert {"noexec", "nosuid", "nodev"} <= set(tmp["mount_options"].split(","))
    assert "size=16384k" in tmp["super_options"].split(",")
    # Nothing of the run is left on the host.
    assert host.leftovers() == {"run_root": "", "cgroups": "", "mounts": ""}


def test_one_run_of_both_identities_passes_every_row(host: BwrapHost) -> None:
    # An attestation's shape: both identities under one run id, judged together.
    run_id = "20260101T000000Z-%08x" % next(host.runs)
    records = {identity: run(host, identity, run_id=run_id) for identity in IDENTITIES}
    found = _bwrap_verdict.judge(records, run_id, "targeted-deny",
                                 records["root"]["facts"]["seccomp"]["arch"])
    assert set(found.row_status().values()) == {"PASS"}, found.reasons()
    assert found.status == "SANDBOX_ATTESTATION_PARTIAL"  # never READY: no bundle
    assert host.leftovers() == {"run_root": "", "cgroups": "", "mounts": ""}


# (weakening, identity, the probes it must flip, the static checks it must fail). Each changes
# one thing of the argv or of the run's own objects (bwrap_in_host.weaken); none binds a host
# path but the run's own. The static side sees each from the argv and the host's view alone.
NET = {"network_none", "no_ports", "security_opts_known"}
WEAKENINGS = [
    ("network", "workload", {"PR-NET-2", "PR-NETIF-1"}, NET),
    ("network", "root", {"PR-NET-2", "PR-NETIF-1"}, NET),
    ("writable-root", "root", {"PR-FS-ESC-1"}, {"readonly_rootfs"}),
    ("writable-root", "workload", {"PR-FS-ESC-1"}, {"readonly_rootfs"}),
    ("no-seccomp", "root", {"PR-SECCOMP-1", "PR-PTRACE-1"}, {"seccomp_shipped"}),
    ("no-seccomp", "workload", {"PR-SECCOMP-1", "PR-PTRACE-1"}, {"seccomp_shipped"}),
    ("no-cap-drop", "root", {"PR-CAPS-1"}, {"cap_drop_all", "not_privileged"}),
    ("writable-in", "root", {"PR-FS-RO-IN"}, {"bind_in_ro"}),
    ("writable-in", "workload", {"PR-FS-RO-IN"}, {"bind_in_ro"}),
    ("exec-tmp", "workload", {"PR-EXEC-1"}, {"tmpfs_tmp"}),
    ("exec-tmp", "root", {"PR-EXEC-1"}, {"tmpfs_tmp"}),
    ("no-pids-ceiling", "workload", {"PR-PIDS-1"}, {"limits"}),
    ("no-pids-ceiling", "root", {"PR-PIDS-1"}, {"limits"}),
    ("engine-socket", "root", {"PR-SOCK-DOCKER"}, {"no_socket_mounts", "binds_exact"}),
    ("engine-socket", "workload", {"PR-SOCK-DOCKER"}, {"no_socket_mounts", "binds_exact"}),
    ("leaked-fd", "workload", set(), {"binds_exact"}),
    ("leaked-fd", "root", set(), {"binds_exact"}),
    ("no-masks", "workload", set(), {"masked_paths", "readonly_paths"}),
    ("no-masks", "root", set(), {"masked_paths", "readonly_paths"}),
]


@pytest.mark.parametrize(("weakening", "identity", "flips", "static"), WEAKENINGS,
                         ids=["%s-%s" % (w[0], w[1]) for w in WEAKENINGS])
def test_single_weakening_flips_its_probe_under_bwrap(host: BwrapHost, weakening: str,
                                                      identity: str, flips: set[str],
                                                      static: set[str]) -> None:
    record = run(host, identity, weakening=weakening)
    verdicts = judge_bwrap(record, identity)
    assert flips <= failing(verdicts), (weakening, verdicts)
    found = verdict(record, identity)
    assert static <= not_passed(found), (weakening, not_passed(found))
    assert "FAIL" in found.row_status().values()
    assert host.leftovers() == {"run_root": "", "cgroups": "", "mounts": ""}


def test_capabilities_of_the_workload_do_not_depend_on_cap_drop(host: BwrapHost) -> None:
    # bwrap gives a sandbox running as a non-root uid no capabilities, --cap-drop or not
    # (measured): the weakening flips nothing for the workload; for root it flips PR-CAPS-1
    # (above). So uid 0 is the identity that shows a missing --cap-drop, as under Docker.
    record = run(host, "workload", weakening="no-cap-drop")
    assert failing(judge_bwrap(record, "workload")) == set()


def test_bwrap_launched_as_root_with_uid_is_not_the_workload(host: BwrapHost) -> None:
    # bwrap started by root with --uid 65532 maps the sandbox's 65532 to host root: the probe
    # says uid 65532, but the host sees root, who without capabilities cannot write the
    # workload's 0700 out/ (measured). setpriv is what makes the workload's uid the host's.
    record = run(host, "workload", weakening="root-launched-uid")
    assert record["lines"]["META"]["uid"] == 65532
    assert record["result"]["out_ok_owner"] != 65532
    assert "PR-FS-OUT-OK" in failing(judge_bwrap(record, "workload"))
    # The static side sees it too: no setpriv launcher, and the host's uid map says root.
    assert {"user", "security_opts_known"} <= not_passed(verdict(record, "workload"))


@pytest.mark.parametrize("identity", IDENTITIES)
def test_without_writable_cgroups_rlimits_stand_in_and_row_37_fails(host: BwrapHost,
                                                                    identity: str) -> None:
    # A host that delegates no cgroup (every hierarchy read-only to the run): the run records
    # why no cgroup was made and sets RLIMIT_NPROC and RLIMIT_AS instead (measured). They bound
    # the workload's forks (its uid has no other process here), never root's (the kernel
    # exempts uid 0): the probe shows it, and the verifier fails row 37 either way, because an
    # rlimit is not the sandbox's ceiling.
    record = host.run(identity, cgroups_read_only=True)
    print(json.dumps(record, sort_keys=True))
    assert record["teardown_problems"] == [] and not record["run_dir_left"], record
    by = {c["controller"]: c["by"] for c in record["facts"]["ceilings"]}
    assert by == {"pids": None, "memory": None, "cpu": None, "RLIMIT_NPROC": "rlimit",
                  "RLIMIT_AS": "rlimit"}
    fork = record["lines"]["PR-PIDS-1"]["obs"][0]
    assert fork["limit_hit"] is (identity == "workload")
    found = verdict(record, identity)
    assert {row: status for row, status in found.row_status().items() if status != "PASS"} == {
        37: "FAIL"}
    limits = [c for c in found.profile.not_passed() if c.id == "limits"]
    assert len(limits) == 1 and "RLIMIT_NPROC" in limits[0].message
    assert host.leftovers() == {"run_root": "", "cgroups": "", "mounts": ""}
