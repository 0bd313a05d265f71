"""The verifier's judgement of a run under bubblewrap (plugin_utils/verify/_bwrap_verdict and
findings/_profile_bwrap), on the records of real runs: tests/unit/data/bwrap-runs/ holds one
run per identity as module_utils/_bwrap recorded it in the bubblewrap test host (regenerate with
tests/integration/bwrap_host.py; the integration tests judge fresh runs the same way).

The mutation test changes every field of that evidence, one at a time, and requires a row to
leave PASS, unless the field is listed below with the reason it decides nothing."""

from __future__ import annotations

import copy
import json
import os
import re
from collections.abc import Iterator
from typing import Any

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import _bwrap_verdict
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings import (
    _cross_bwrap,
    _profile_bwrap,
)

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "bwrap-runs")
IDENTITIES = ("workload", "root")

# Fields of the record no row reads, each with why (a pattern over the field's path).
NOT_EVIDENCE = {
    # what the run measured about itself, for the operator: not a boundary
    r"^result/(elapsed_ms|stderr|stdout_truncated)$": "the run's own bookkeeping; "
    "a run cut short has no probe END line, which the probes judge",
    r"^result/cgroup_stats/": "counters the probe's own PR-PIDS-1 observation stands for",
    # the prepared record; the argv that ran is result/argv
    r"^facts/(argv|runtime|identity|uid)(/|$)": "execute()'s argv is what ran and is judged",
    r"^facts/seccomp/(libseccomp|profile_sha256)$": "what the target says of the filter: "
    "the digest against the collection's manifest decides",
    r"^facts/ceilings/\d+/(boundary|controller)$": "the ceiling's description; its file, "
    "value and kind (by) decide",
    r"^facts/tmp_mount/": "the run's own reading of its tmpfs; the sandbox's mount table decides",
    r"^result/view/(pid|info/child-pid)$": "which process the host read; the namespaces decide",
    r"^result/view/cgroup/": "(only the lines of pids, memory and cpu, mutated below too) the "
    "controllers the profile sets no ceiling in",
    r"^result/view/host_namespaces/": "the run's own namespaces are the reference: another "
    "well-formed value still differs from the sandbox's (a malformed one fails)",
    r"^result/view/status/Seccomp$": "read before bwrap applies the filter (0 there, always); "
    "the probe's PR-SECCOMP-1 reads it inside",
    r"^result/view/status/NSpid$": "the pid namespace link decides",
    r"^result/out/refused$": "names of what else the probe left, for the operator",
    r"^result/(out_ok_owner)$": "the test harness's own reading",
    r"^run_id$|^run_dir_left$|^teardown_problems(/|$)": "the harness's record of the run",
}


# The /proc/PID/cgroup lines of the controllers the run sets ceilings in.
CEILING_LINE = re.compile(r"^[0-9]+:(pids|memory|cpu):")


def load(identity: str) -> dict[str, Any]:
    with open(os.path.join(DATA, identity + ".json"), encoding="utf-8") as handle:
        return json.load(handle)


# What the runs were asked for (a bundle's run.json and facts say it; never the record itself).
RUN_IDS = {"workload": "20260101T000000Z-00000003", "root": "20260101T000000Z-00000004"}
SECCOMP, ARCH = "targeted-deny", "x86_64"


def judge(record: dict[str, Any], identity: str):
    """One identity's recorded run, judged as a run asked for that identity only (the two
    recorded runs have run ids of their own)."""
    return _bwrap_verdict.judge({identity: record}, RUN_IDS[identity], SECCOMP, ARCH,
                                identities=(identity,))


def clean(found) -> bool:
    """Every row PASS and every check of the run itself PASS: nothing to report."""
    return set(found.row_status().values()) == {"PASS"} and found.run.outcome == "pass"


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, "%s/%s" % (path, key) if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, "%s/%d" % (path, index))
    else:
        yield path, value


def mutated(value: Any, path: str) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if value is None:
        return "x"
    text = str(value)
    if "/mountinfo/" in path:
        # the mount's target: the field a kernel table is keyed by
        parts = text.split(" ")
        parts[4] += "x"
        return " ".join(parts)
    if re.fullmatch(r"[0-9a-f]{16}", text):
        return text[:-1] + ("1" if text[-1] != "1" else "2")
    return text + "x" if text else "x"


def set_leaf(record: dict[str, Any], path: str, value: Any) -> None:
    keys = path.split("/")
    node: Any = record
    for key in keys[:-1]:
        node = node[int(key)] if isinstance(node, list) else node[key]
    last = keys[-1]
    if isinstance(node, list):
        node[int(last)] = value
    else:
        node[last] = value


def evidence_fields(identity: str) -> list[str]:
    record = load(identity)
    fields = []
    for path, value in leaves(record):
        if path.startswith("result/stdout"):
            continue  # the probe's lines are mutated line by line below
        if any(re.search(pattern, path) for pattern in NOT_EVIDENCE) and not (
                path.startswith("result/view/cgroup/") and CEILING_LINE.search(str(value))):
            continue
        fields.append(path)
    return fields


@pytest.mark.parametrize("identity", IDENTITIES)
def test_real_run_passes_every_row(identity: str) -> None:
    found = judge(load(identity), identity)
    assert clean(found), [c.message for f in (found.probes, found.profile, found.cross, found.run)
                          for c in f.not_passed()]
    assert len(found.rows) == 14
    # never READY: a run's records are not a bundle
    assert found.status == "SANDBOX_ATTESTATION_PARTIAL"
    assert found.reasons() == [_bwrap_verdict.NOT_A_BUNDLE]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_evidence_field_decides_a_row(identity: str) -> None:
    record = load(identity)
    survived = []
    fields = evidence_fields(identity)
    assert len(fields) > 100  # the view alone has ~40 mounts, 11 status fields, 14 namespaces
    for path in fields:
        changed = copy.deepcopy(record)
        value = dict(leaves(record))[path]
        set_leaf(changed, path, mutated(value, path))
        if clean(judge(changed, identity)):
            survived.append(path)
    assert survived == [], survived


@pytest.mark.parametrize("identity", IDENTITIES)
def test_every_probe_line_is_needed(identity: str) -> None:
    record = load(identity)
    lines = record["result"]["stdout"].splitlines()
    for index, line in enumerate(lines):
        changed = copy.deepcopy(record)
        changed["result"]["stdout"] = "\n".join(lines[:index] + lines[index + 1:])
        assert not clean(judge(changed, identity)), json.loads(line)["probe"]


@pytest.mark.parametrize("identity", IDENTITIES)
def test_missing_view_is_never_pass(identity: str) -> None:
    record = load(identity)
    record["result"]["view"] = {"error": "bwrap reported no sandbox on --info-fd"}
    status = judge(record, identity).row_status()
    assert "PASS" not in set(status.values()) - {None}, status


def test_one_identity_record_does_not_stand_for_the_other() -> None:
    workload = load("workload")
    # the workload's record judged as root's: uid, launcher, cgroup names all differ
    status = _bwrap_verdict.judge({"root": workload}, workload["run_id"], "targeted-deny",
                                  "x86_64", identities=("root",)).row_status()
    assert "FAIL" in status.values()


def test_an_attestation_without_one_identity_passes_no_row() -> None:
    # By default a run is asked for every identity: the workload's record alone, however
    # clean, leaves every row NOT_RUN (root was not evaluated), and a stranger is refused.
    workload = load("workload")
    found = _bwrap_verdict.judge({"workload": workload}, RUN_IDS["workload"], SECCOMP, ARCH)
    assert set(found.row_status().values()) == {"NOT_RUN"}
    assert found.status == "SANDBOX_ATTESTATION_PARTIAL"
    with pytest.raises(ValueError, match="not asked for"):
        _bwrap_verdict.judge({"nobody": workload}, RUN_IDS["workload"], SECCOMP, ARCH)


def test_a_filter_not_shipped_fails_rows_36_and_37() -> None:
    record = load("workload")
    record["facts"]["seccomp"]["sha256"] = "0" * 64
    found = judge(record, "workload")
    assert found.row_status()[36] == "FAIL" and found.row_status()[37] == "FAIL"
    assert found.status == "SANDBOX_ATTESTATION_FAILED"


def test_a_probe_not_shipped_fails_the_run() -> None:
    record = load("root")
    record["facts"]["probe_sha256"] = "1" * 64
    found = judge(record, "root")
    assert found.status == "SANDBOX_ATTESTATION_FAILED"
    assert [c.id for c in found.run.not_passed()] == ["probe_sha256"]


def test_every_cross_check_claim_is_a_static_check() -> None:
    claims = {claim for dummy, claim, dummy2 in _cross_bwrap.CROSS_CHECKS.values()
              if isinstance(claim, str)}
    assert claims and claims <= set(_profile_bwrap.STATIC_CHECKS)
