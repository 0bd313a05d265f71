"""sandbox_run over SSH: both identities ran the probe set in the host's engine, hardened."""

from __future__ import annotations

import base64
import json

import pytest
from conftest import RUN_ROOT, assert_decoys_unchanged, inner

UIDS = {"workload": 65532, "root": 0}


def probe_lines(stdout: str) -> dict[str, dict]:
    lines = [json.loads(line) for line in stdout.splitlines() if line.strip()]
    return {line["probe"]: line for line in lines}


@pytest.fixture
def runs(result) -> dict[str, dict]:
    return {r["identity"]: r for r in result("sandbox_run_result")}


def test_both_identities_ran_to_completion(runs, result):
    image_id = result("probe_image_result")["image_id"]
    assert set(runs) == {"workload", "root"}
    for identity, entry in runs.items():
        run = entry["run"]
        assert run["exit_code"] == 0 and run["timed_out"] is False and run["removed"] is True
        probes = probe_lines(run["stdout"])
        assert probes["END"]["count"] == 18
        assert probes["META"]["uid"] == UIDS[identity]
        # The probe ran in the container this task created, from the probe image.
        assert probes["META"]["container_id"] == run["container_id"]
        inspect = run["inspect"][0]
        assert inspect["Id"] == run["container_id"] and inspect["Image"] == image_id


def test_the_hardened_profile_reached_the_hosts_engine(runs):
    for identity, entry in runs.items():
        host_config = entry["run"]["inspect"][0]["HostConfig"]
        assert host_config["NetworkMode"] == "none"
        assert host_config["ReadonlyRootfs"] is True
        assert host_config["CapDrop"] == ["ALL"] and not host_config["CapAdd"]
        assert host_config["Privileged"] is False
        assert any(o.startswith("no-new-privileges") for o in host_config["SecurityOpt"])
        uid = UIDS[identity]
        assert entry["run"]["inspect"][0]["Config"]["User"] == "%d:%d" % (uid, uid)
        probes = probe_lines(entry["run"]["stdout"])
        assert probes["PR-NETIF-1"]["obs"][0]["interfaces"] == ["lo"]
        assert probes["PR-CAPS-1"]["obs"][0]["CapEff"] == "0" * 16
        assert probes["PR-SECCOMP-1"]["obs"][0]["Seccomp"] == 2


def test_outputs_were_read_back_and_match_the_host(host, runs, result):
    run_id = result("preflight_result")["run_id"]
    for identity, entry in runs.items():
        copied = {c["name"]: c for c in entry["output"]["copied"]}
        assert "ok" in copied and entry["output"]["refused"] == []
        out_dir = host.file("%s/%s/%s/out" % (RUN_ROOT, run_id, identity))
        assert out_dir.uid == UIDS[identity] and out_dir.mode == 0o700
        on_host = host.file("%s/%s/%s/out/ok" % (RUN_ROOT, run_id, identity))
        assert on_host.sha256sum == copied["ok"]["sha256"]
        assert base64.b64decode(copied["ok"]["content_b64"]) == on_host.content


def test_no_run_container_is_left_and_decoys_are_untouched(host, decoys_recorded):
    assert inner(host, "ps", "--all", "--quiet", "--filter", "label=sandbox.attest.run-id") == ""
    assert_decoys_unchanged(host, decoys_recorded)
