"""Finding "cross_checks": static and dynamic evidence must agree."""

from __future__ import annotations

import os

import evidence_builder as eb

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import STATUS_FAILED


def _xc(verdict, check_id: str, identity: str):
    return next(c for c in verdict.finding("cross_checks").checks
                if c.id == check_id and c.identity == identity)


def test_clean_bundle_agrees(bundle, verify) -> None:
    finding = verify(bundle).finding("cross_checks")
    assert finding.outcome == "pass"
    assert {c.id for c in finding.checks} >= {"xc_network", "xc_out_ok", "xc_user"}


def test_network_none_but_eth0_seen_is_failed(model, write_bundle, verify) -> None:
    netif = model.probe("root", "PR-NETIF-1")["obs"]
    netif[0]["interfaces"] = ["eth0", "lo"]
    netif[1]["default_route"] = True
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    check = _xc(verdict, "xc_network", "root")
    assert check.outcome == "fail"
    assert "eth0" in check.observed and "NetworkMode none" in check.message
    assert "identities/root/probe.jsonl#PR-NETIF-1" in check.refs
    assert next(r for r in verdict.rows if r.row == 27).result == "FAIL"


def test_out_ok_written_but_absent_is_failed(bundle, verify) -> None:
    os.unlink(os.path.join(bundle, "identities/workload/out/ok"))
    eb.write_manifest(bundle)
    verdict = verify(bundle)
    assert verdict.status == STATUS_FAILED
    check = _xc(verdict, "xc_out_ok", "workload")
    assert check.outcome == "fail" and "absent from the bundle" in check.message
    assert next(r for r in verdict.rows if r.row == 32).result == "FAIL"


def test_out_ok_with_other_content_is_failed(model, write_bundle, verify) -> None:
    model.raw["identities/root/out/ok"] = b"sandbox-attest ok someone-else\n"
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_out_ok", "root").outcome == "fail"


def test_fetch_refusal_of_ok_is_failed(model, write_bundle, verify) -> None:
    del model.raw["identities/root/out/ok"]
    model.docs["identities/root/fetch.json"].update(
        copied=[], refused=[{"name": "'ok'", "reason": "symlink"}])
    verdict = verify(write_bundle(model))
    assert "fetch.json" in _xc(verdict, "xc_out_ok", "root").message


def test_uid_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.probe("workload", "META")["uid"] = 0
    model.probe("workload", "META")["euid"] = 0
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_user", "workload").outcome == "fail"


def test_hostname_disagreement_is_failed(model, write_bundle, verify) -> None:
    model.observation("root", "PR-ENV-1", "environ")["values"]["HOSTNAME"] = "elsewhere"
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_hostname", "root").outcome == "fail"


def test_caps_present_though_dropped_is_failed(model, write_bundle, verify) -> None:
    model.observation("root", "PR-CAPS-1", "read")["CapEff"] = "00000000a80425fb"
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_caps", "root").outcome == "fail"


def test_seccomp_mode_zero_is_failed(model, write_bundle, verify) -> None:
    model.observation("root", "PR-SECCOMP-1", "read")["Seccomp"] = 0
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_seccomp", "root").outcome == "fail"


def test_engine_socket_present_is_failed(model, write_bundle, verify) -> None:
    model.observation("workload", "PR-SOCK-DOCKER", "unix_connect",
                      "/run/docker.sock")["errno"] = "EACCES"
    verdict = verify(write_bundle(model))
    assert _xc(verdict, "xc_socket", "workload").outcome == "fail"


def test_both_identities_as_one_user_is_failed(model, write_bundle, verify) -> None:
    model.inspect("root")["Config"]["User"] = "65532:65532"
    verdict = verify(write_bundle(model))
    assert any(c.id == "xc_identities" and c.outcome == "fail"
               for c in verdict.finding("cross_checks").checks)
