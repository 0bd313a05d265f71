"""Finding "probes": verdicts recomputed from observations against the expectations data."""

from __future__ import annotations

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_expectations,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    Context,
    predicate,
    probe_items,
    security_module,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
    parse_output,
)

EXPECTATIONS = load_expectations().document


def _probe_check(verdict, identity: str, probe: str):
    return next(c for c in verdict.finding("probes").checks
                if c.identity == identity and c.id == probe)


def test_every_probe_has_expectations_under_every_module() -> None:
    for module in ("none", "apparmor", "selinux"):
        for identity in ("workload", "root"):
            for probe in PROBE_ORDER:
                assert probe_items(EXPECTATIONS, "docker", identity, module, probe), probe


def test_security_module_from_engine_facts() -> None:
    seccomp = "name=seccomp,profile=default"
    assert security_module({"security_options": [seccomp]}) == "none"
    assert security_module({"security_options": [seccomp, "name=apparmor"]}) == "apparmor"
    assert security_module({"security_options": ["name=selinux", seccomp]}) == "selinux"
    assert security_module({"security_options": "name=apparmor"}) == "none"
    assert security_module(None) == "none"


def test_apparmor_accepts_eacces_for_mount(model, write_bundle, verify) -> None:
    for identity in ("workload", "root"):
        model.observation(identity, "PR-MOUNT-1", "mount")["errno"] = "EACCES"
    assert verify(write_bundle(model)).status == STATUS_FAILED
    model.docs["engine/facts.json"]["security_options"].append("name=apparmor")
    for identity in ("workload", "root"):
        # What the engine records with AppArmor active (data/inspect-fields.yml).
        model.inspect(identity)["AppArmorProfile"] = "docker-default"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    assert verdict.finding("probes").extra["security_module"] == "apparmor"


def test_selinux_accepts_eacces_for_raw_sockets(model, write_bundle, verify) -> None:
    model.observation("root", "PR-SOCK-1", "socket", "AF_PACKET/SOCK_RAW")["errno"] = "EACCES"
    model.docs["engine/facts.json"]["security_options"].append("name=selinux")
    verdict = verify(write_bundle(model))
    assert verdict.finding("probes").outcome == "pass"
    # SELinux labels are not modelled in data/inspect-fields.yml: never READY.
    assert [r.split(":")[0] for r in verdict.reasons] == ["engine not modelled"]


def test_home_is_per_identity(model, write_bundle, verify) -> None:
    env = model.observation("root", "PR-ENV-1", "environ")
    env["values"]["HOME"] = "/nonexistent"
    verdict = verify(write_bundle(model))
    assert _probe_check(verdict, "root", "PR-ENV-1").outcome == "fail"
    assert _probe_check(verdict, "workload", "PR-ENV-1").outcome == "pass"


def test_an_extra_environment_key_fails(model, write_bundle, verify) -> None:
    env = model.observation("workload", "PR-ENV-1", "environ")
    env["keys"] = ["AWS_SECRET_ACCESS_KEY", "HOME", "HOSTNAME", "PATH"]
    env["values"]["AWS_SECRET_ACCESS_KEY"] = "sha256:" + "0" * 64
    verdict = verify(write_bundle(model))
    check = _probe_check(verdict, "workload", "PR-ENV-1")
    assert check.outcome == "fail" and "AWS_SECRET_ACCESS_KEY" in check.message


def test_a_non_loopback_resolver_fails(model, write_bundle, verify) -> None:
    read = model.observation("workload", "PR-NET-1", "read")
    read["nameservers"] = ["127.0.0.1", "10.0.0.2"]
    model.probe("workload", "PR-NET-1")["obs"].append(
        {"op": "udp_connect", "target": "10.0.0.2:53", "ret": -1, "errno": "ENETUNREACH",
         "detail": ""})
    verdict = verify(write_bundle(model))
    assert _probe_check(verdict, "workload", "PR-NET-1").outcome == "fail"
    assert "cross_checks" in verdict.failed_finding_names()


def test_pids_limit_must_be_hit_below_the_limit(model, write_bundle, verify) -> None:
    model.observation("root", "PR-PIDS-1", "fork").update(ret=0, errno=None, forked=512,
                                                          limit_hit=False)
    verdict = verify(write_bundle(model))
    assert _probe_check(verdict, "root", "PR-PIDS-1").outcome == "fail"
    assert any(c.id == "xc_pids" and c.outcome == "fail"
               for c in verdict.finding("cross_checks").checks)


def test_failure_without_errno_is_not_a_pass(model, write_bundle, verify) -> None:
    # The probe reports a child that timed out as ret -1 with no errno: nothing was proven.
    model.observation("workload", "PR-PTRACE-1", "ptrace_attach").update(errno=None,
                                                                         detail="timed out")
    verdict = verify(write_bundle(model))
    assert _probe_check(verdict, "workload", "PR-PTRACE-1").outcome == "fail"


def test_a_duplicated_probe_line_fails(model, write_bundle, verify) -> None:
    lines = model.probes["workload"]
    forged = {"probe": "PR-PTRACE-1", "obs": []}
    lines.insert(1, forged)
    verdict = verify(write_bundle(model))
    assert _probe_check(verdict, "workload", "PR-PTRACE-1").outcome == "fail"
    assert verdict.status == STATUS_FAILED


def test_a_missing_observation_fails(model, write_bundle, verify) -> None:
    line = model.probe("workload", "PR-SOCK-DOCKER")
    line["obs"] = line["obs"][:1]
    verdict = verify(write_bundle(model))
    check = _probe_check(verdict, "workload", "PR-SOCK-DOCKER")
    assert check.outcome == "fail" and "observation missing" in check.message


def test_the_report_columns_are_filled(bundle, verify) -> None:
    check = _probe_check(verify(bundle), "root", "PR-NET-2")
    assert "ENETUNREACH" in check.expected and "192.0.2.1:53" in check.observed
    assert check.refs == ("identities/root/probe.jsonl#PR-NET-2",)


@pytest.mark.parametrize(("pred", "value", "ok"), [
    ({"equals": 1}, 1, True),
    ({"equals": 1}, True, False),
    ({"equals": False}, 0, False),
    ({"one_of": ["/"]}, "/", True),
    ({"subset_of": ["lo"]}, ["lo", "eth0"], False),
    ({"loopback_only": True}, ["127.0.0.1", "::1"], True),
    ({"loopback_only": True}, ["127.0.0.1", "127.evil"], False),
    ({"loopback_only": True}, [], False),
    ({"hex_zero": True}, "0000000000000000", True),
    ({"hex_zero": True}, "00000000a80425fb", False),
    ({"hex_zero": True}, "zz", False),
    ({"min": 1}, 0, False),
    ({"less_than_limit": "pids"}, 63, True),
    ({"less_than_limit": "pids"}, 64, False),
    ({"equals_context": "container_hostname"}, "abc", True),
    ({"equals_context": "container_hostname"}, "abd", False),
    ({"bogus": 1}, 1, False),
])
def test_predicates(pred, value, ok) -> None:
    ctx = Context(container_hostname="abc", container_id=None, limits={"pids": 64},
                  environment={})
    assert (predicate(pred, True, value, ctx) is None) is ok


def test_optional_predicate_accepts_absence() -> None:
    ctx = Context(None, None, {}, {})
    assert predicate({"min": 1, "optional": True}, False, None, ctx) is None
    assert predicate({"min": 1}, False, None, ctx) == "absent"


def test_parse_output_flags_unknown_and_duplicates() -> None:
    output = parse_output([{"probe": "META"}, {"probe": "PR-X", "obs": []},
                           {"probe": "PR-NET-1", "obs": []}, {"probe": "PR-NET-1", "obs": []},
                           "garbage"])
    assert output.unknown == ["PR-X"]
    assert output.duplicates == ["PR-NET-1"]
    assert output.malformed == 1
    assert output.end is None
