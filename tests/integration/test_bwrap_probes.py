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


def run(host: BwrapHost, identity: str, seccomp: str = "targeted-deny",
        weakening: str | None = None) -> dict:
    record = host.run(identity, seccomp, weakening)
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
    assert launcher == (["setpriv", "--reuid=65532", "--regid=65532", "--clear-groups", "--"]
                        if uid else [])
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


# (weakening, identity, the probes it must flip). Each changes one thing of the argv or of the
# run's own objects (bwrap_in_host.weaken); none binds a host path but the run's own.
WEAKENINGS = [
    ("network", "workload", {"PR-NET-2", "PR-NETIF-1"}),
    ("network", "root", {"PR-NET-2", "PR-NETIF-1"}),
    ("writable-root", "root", {"PR-FS-ESC-1"}),
    ("writable-root", "workload", {"PR-FS-ESC-1"}),
    ("no-seccomp", "root", {"PR-SECCOMP-1", "PR-PTRACE-1"}),
    ("no-seccomp", "workload", {"PR-SECCOMP-1", "PR-PTRACE-1"}),
    ("no-cap-drop", "root", {"PR-CAPS-1"}),
    ("writable-in", "root", {"PR-FS-RO-IN"}),
    ("writable-in", "workload", {"PR-FS-RO-IN"}),
    ("exec-tmp", "workload", {"PR-EXEC-1"}),
    ("exec-tmp", "root", {"PR-EXEC-1"}),
    ("no-pids-ceiling", "workload", {"PR-PIDS-1"}),
    ("no-pids-ceiling", "root", {"PR-PIDS-1"}),
    ("engine-socket", "root", {"PR-SOCK-DOCKER"}),
    ("engine-socket", "workload", {"PR-SOCK-DOCKER"}),
]


@pytest.mark.parametrize(("weakening", "identity", "flips"), WEAKENINGS,
                         ids=["%s-%s" % (w[0], w[1]) for w in WEAKENINGS])
def test_single_weakening_flips_its_probe_under_bwrap(host: BwrapHost, weakening: str,
                                                      identity: str, flips: set[str]) -> None:
    record = run(host, identity, weakening=weakening)
    verdicts = judge_bwrap(record, identity)
    assert flips <= failing(verdicts), (weakening, verdicts)
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
