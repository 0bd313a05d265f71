"""Issue 12's probe-line classes: anything the expectations do not name fails its probe."""

from __future__ import annotations

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)


def _fails(verdict, identity: str, probe: str) -> str:
    assert verdict.status == STATUS_FAILED
    check = next(c for c in verdict.finding("probes").checks
                 if c.identity == identity and c.id == probe)
    assert check.outcome == "fail"
    return check.message


def test_a_successful_write_through_another_escape_path(model, write_bundle, verify) -> None:
    model.probe("root", "PR-FS-ESC-2")["obs"].append(
        {"op": "open_write", "target": "/out/../../etc/.probe-escape", "ret": 3, "errno": None,
         "detail": ""})
    assert "unexpected observation" in _fails(verify(write_bundle(model)), "root", "PR-FS-ESC-2")


def test_a_tcp_connect_in_the_network_probe(model, write_bundle, verify) -> None:
    model.probe("workload", "PR-NET-2")["obs"].append(
        {"op": "tcp_connect", "target": "192.0.2.1:443", "ret": 0, "errno": None, "detail": ""})
    assert "tcp_connect" in _fails(verify(write_bundle(model)), "workload", "PR-NET-2")


def test_a_full_capability_set_of_another_process(model, write_bundle, verify) -> None:
    model.observation("root", "PR-CAPS-1", "read")["CapEff_pid2"] = "000001ffffffffff"
    message = _fails(verify(write_bundle(model)), "root", "PR-CAPS-1")
    assert "unexpected fields CapEff_pid2" in message


def test_an_environment_value_whose_key_is_not_listed(model, write_bundle, verify) -> None:
    model.observation("workload", "PR-ENV-1", "environ")["values"]["AWS_SECRET"] = "x"
    assert "do not name the values" in _fails(verify(write_bundle(model)), "workload", "PR-ENV-1")


def test_routes_in_the_interface_probe(model, write_bundle, verify) -> None:
    model.observation("root", "PR-NETIF-1", "read", "/proc/net/route")["routes"] = 3
    assert "routes 3" in _fails(verify(write_bundle(model)), "root", "PR-NETIF-1")


def test_a_resolver_other_than_the_profiles(model, write_bundle, verify) -> None:
    # Loopback still, but not the resolver --dns gave: another resolv.conf.
    model.observation("root", "PR-NET-1", "read")["nameservers"] = ["127.0.0.53"]
    _fails(verify(write_bundle(model)), "root", "PR-NET-1")


def test_a_second_route_check_of_one_resolver(model, write_bundle, verify) -> None:
    obs = model.probe("workload", "PR-NET-1")["obs"]
    obs.append(dict(obs[-1]))
    assert "expected one each" in _fails(verify(write_bundle(model)), "workload", "PR-NET-1")


def test_ret_zero_with_an_errno_is_not_a_denial(model, write_bundle, verify) -> None:
    model.observation("workload", "PR-SOCK-1", "socket", "AF_PACKET/SOCK_RAW")["ret"] = 0
    assert "a denial returns -1" in _fails(verify(write_bundle(model)), "workload", "PR-SOCK-1")


def test_an_extra_key_on_a_probe_line(model, write_bundle, verify) -> None:
    model.probe("root", "PR-PTRACE-1")["verdict"] = "PASS"
    assert "unexpected line fields" in _fails(verify(write_bundle(model)), "root", "PR-PTRACE-1")


def test_the_probe_header_names_the_shipped_probe_and_pid_1(
        model, write_bundle, verify) -> None:
    assert verify(write_bundle(model)).status == STATUS_READY
    model.probe("root", "META")["pid"] = 7
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "probes", "probe_output")


def test_the_probe_clock_outside_its_run(model, write_bundle, verify) -> None:
    model.probe("workload", "META")["time"] = "1970-01-01T00:00:00Z"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "probes", "probe_output")


def test_a_kernel_without_ipv6_is_still_as_expected(model, write_bundle, verify) -> None:
    # What the probe prints when /proc/net/ipv6_route is absent (src/probe: default_route null).
    model.observation("root", "PR-NETIF-1", "read", "/proc/net/ipv6_route").update(
        ret=-1, errno="ENOENT", default_route=None)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons


def test_a_write_returning_other_than_the_bytes_it_reports(model, write_bundle, verify) -> None:
    model.observation("workload", "PR-FS-OUT-OK", "write")["ret"] += 1
    assert "expected bytes=" in _fails(verify(write_bundle(model)), "workload", "PR-FS-OUT-OK")
