"""Finding "inspect_fields": every field of the inspect documents compared or named in data.

Each edit below is one an outside review made to a real bundle (every file, manifest
recomputed) that used to verify READY (issue 12); here each is a finding.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify import _data
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    load_evidence,
    read_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect_expected import (
    expected_picture,
    same_json,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_PARTIAL,
    STATUS_READY,
)

IDENTITIES = ("workload", "root")


def _closed_world(verdict: Any, identity: str) -> Any:
    return next(check for check in verdict.finding("inspect_fields").checks
                if check.id == "inspect_closed_world" and check.identity == identity)


def _fails_on(verdict: Any, identity: str, *paths: str) -> None:
    """FAILED, and the closed-world check of that identity names each path."""
    check = _closed_world(verdict, identity)
    assert verdict.status == STATUS_FAILED, verdict.reasons
    assert check.outcome == "fail"
    for path in paths:
        assert path in check.observed, (path, check.observed)


def _edit_both(model: eb.EvidenceModel, edit: Any) -> None:
    for identity in IDENTITIES:
        edit(model.inspect(identity))


def _not_modelled(verdict: Any) -> list[str]:
    return [reason for reason in verdict.reasons if reason.startswith("engine not modelled")]


# --- the untouched captures -------------------------------------------------------------------

@pytest.mark.parametrize("capture", ["fuse-overlayfs", "vfs", "molecule-host"])
def test_real_captures_are_ready(probe_path, digests, write_bundle, verify, capture) -> None:
    model = eb.make_model(probe_path, *digests, capture=capture)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
    for identity in IDENTITIES:
        assert _closed_world(verdict, identity).outcome == "pass"


def test_daemon_options_no_fact_records_are_engine_not_modelled(probe_path, digests,
                                                                write_bundle, verify) -> None:
    # Measured: a dockerd with --log-opt, --default-ulimit and --default-shm-size puts them in
    # every container's HostConfig; `docker info` reports none of them.
    model = eb.make_model(probe_path, *digests, capture="vfs-daemon-options")
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL, verdict.reasons
    assert len(verdict.reasons) == 2 and len(_not_modelled(verdict)) == 2, verdict.reasons
    for path in ("/HostConfig/Ulimits", "/HostConfig/LogConfig/Config/mode",
                 "/HostConfig/LogConfig/Config/labels"):
        assert path in _not_modelled(verdict)[0]


def test_a_field_named_as_not_bearing_on_isolation_may_hold_anything(model, write_bundle,
                                                                     verify) -> None:
    def edit(container: dict[str, Any]) -> None:
        container["Created"] = "1970-01-01T00:00:00Z"
        container["GraphDriver"]["Data"] = None
        container["NetworkSettings"]["SandboxKey"] = "/run/elsewhere"
    _edit_both(model, edit)
    assert verify(write_bundle(model)).status == STATUS_READY


def test_the_engines_mount_order_does_not_matter(model, write_bundle, verify) -> None:
    _edit_both(model, lambda c: c["Mounts"].reverse())
    assert verify(write_bundle(model)).status == STATUS_READY


def test_a_run_root_from_the_settings_is_followed(model, write_bundle, verify) -> None:
    # Another run root, consistently in argv, commands and inspect: the parent is derived.
    for name in [n for n in model.docs if n.startswith("identities/")]:
        text = json.dumps(model.docs[name]).replace(eb.RUN_ROOT + "/", "/srv/attest/")
        model.docs[name] = json.loads(text)
    verdict = verify(write_bundle(model))
    assert all(_closed_world(verdict, i).outcome == "pass" for i in IDENTITIES), verdict.reasons


def test_one_run_root_for_both_identities(model, write_bundle, verify) -> None:
    # The root identity's argv, commands and binds moved consistently to another parent.
    for name in [n for n in model.docs if n.startswith("identities/root/")]:
        text = json.dumps(model.docs[name]).replace(eb.RUN_ROOT + "/", "/srv/attest/")
        model.docs[name] = json.loads(text)
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert any(c.id == "run_root_shared" and c.outcome == "fail"
               for c in verdict.finding("inspect_fields").checks)


# --- the classes the review edited (issue 12) -------------------------------------------------

def test_runtime_another_runtime(model, write_bundle, verify) -> None:
    model.inspect("root")["HostConfig"]["Runtime"] = "runsc"
    _fails_on(verify(write_bundle(model)), "root", "/HostConfig/Runtime")


def test_runtime_changed_with_the_facts_is_engine_not_modelled(model, write_bundle,
                                                               verify) -> None:
    model.docs["engine/facts.json"]["default_runtime"] = "runsc"
    _edit_both(model, lambda c: c["HostConfig"].update(Runtime="runsc"))
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == _not_modelled(verdict) and "runsc" in verdict.reasons[0]


def test_sysctls(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["Sysctls"] = {"net.ipv4.ping_group_range": "0 1"}
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Sysctls")


def test_oom_kill_disable(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["OomKillDisable"] = True
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/OomKillDisable")


def test_oom_score_adj(model, write_bundle, verify) -> None:
    model.inspect("root")["HostConfig"]["OomScoreAdj"] = -1000
    _fails_on(verify(write_bundle(model)), "root", "/HostConfig/OomScoreAdj")


def test_shm_size_64_gib(model, write_bundle, verify) -> None:
    # The profile pins --shm-size: a daemon's --default-shm-size cannot explain another value.
    model.inspect("workload")["HostConfig"]["ShmSize"] = 64 * 1024 ** 3
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/ShmSize 68719476736")


def test_ulimits_are_never_ready(model, write_bundle, verify) -> None:
    model.inspect("root")["HostConfig"]["Ulimits"] = [
        {"Name": "nproc", "Soft": 1048576, "Hard": 1048576}]
    verdict = verify(write_bundle(model))
    assert verdict.status != STATUS_READY
    assert "/HostConfig/Ulimits" in _not_modelled(verdict)[0]


def test_cgroup_parent(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["CgroupParent"] = "/system.slice"
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/CgroupParent")


def test_init(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["Init"] = True
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Init")


def test_restart_policy(model, write_bundle, verify) -> None:
    model.inspect("root")["HostConfig"]["RestartPolicy"] = {"Name": "always",
                                                            "MaximumRetryCount": 0}
    _fails_on(verify(write_bundle(model)), "root", "/HostConfig/RestartPolicy/Name")


def test_links(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["Links"] = ["/postgres:/sandbox-attest/db"]
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Links")


def test_dns_options_and_search(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["DnsOptions"] = ["ndots:0"]
    model.inspect("workload")["HostConfig"]["DnsSearch"] = ["corp.example"]
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/DnsOptions",
              "/HostConfig/DnsSearch")


def test_tty_and_open_stdin(model, write_bundle, verify) -> None:
    model.inspect("root")["Config"].update(Tty=True, OpenStdin=True)
    _fails_on(verify(write_bundle(model)), "root", "/Config/Tty", "/Config/OpenStdin")


def test_state_oom_killed(model, write_bundle, verify) -> None:
    model.inspect("workload")["State"]["OOMKilled"] = True
    _fails_on(verify(write_bundle(model)), "workload", "/State/OOMKilled")


def test_an_ip_address_in_network_settings(model, write_bundle, verify) -> None:
    settings = model.inspect("workload")["NetworkSettings"]
    settings["IPAddress"] = "172.17.0.5"
    settings["Networks"]["none"]["IPAddress"] = "172.17.0.5"
    _fails_on(verify(write_bundle(model)), "workload", "/NetworkSettings/IPAddress",
              "/NetworkSettings/Networks/none/IPAddress")


def test_another_network_attached(model, write_bundle, verify) -> None:
    networks = model.inspect("root")["NetworkSettings"]["Networks"]
    networks["bridge"] = copy.deepcopy(networks["none"])
    _fails_on(verify(write_bundle(model)), "root", "/NetworkSettings/Networks/bridge")


def test_apparmor_profile_and_selinux_process_label(model, write_bundle, verify) -> None:
    model.inspect("root")["AppArmorProfile"] = "sandbox-custom"
    model.inspect("root")["ProcessLabel"] = "system_u:system_r:spc_t:s0"
    _fails_on(verify(write_bundle(model)), "root", "/AppArmorProfile", "/ProcessLabel")


def test_entrypoint_and_path_name_another_program(model, write_bundle, verify) -> None:
    container = model.inspect("workload")
    container["Path"] = "/bin/sh"
    container["Config"]["Entrypoint"] = ["/bin/sh"]
    _fails_on(verify(write_bundle(model)), "workload", "/Path", "/Config/Entrypoint")


def test_args_and_cmd(model, write_bundle, verify) -> None:
    container = model.inspect("workload")
    container["Args"] = ["--skip", "PR-NET-1"]
    container["Config"]["Cmd"] = ["--skip", "PR-NET-1"]
    _fails_on(verify(write_bundle(model)), "workload", "/Args", "/Config/Cmd")


def test_out_source_etc_in_host_config_mounts(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["Mounts"][1]["Source"] = "/etc"
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Mounts")


def test_out_source_under_another_parent_than_the_run_root(model, write_bundle,
                                                           verify) -> None:
    # The suffix <run id>/<identity>/out is kept: only an exact comparison sees it.
    def edit(container: dict[str, Any]) -> None:
        for mount in container["HostConfig"]["Mounts"] + container["Mounts"]:
            mount["Source"] = mount["Source"].replace(eb.RUN_ROOT, "/home/attacker")
    edit(model.inspect("root"))
    _fails_on(verify(write_bundle(model)), "root", "/HostConfig/Mounts", "/Mounts")


def test_extra_bind_options(model, write_bundle, verify) -> None:
    container = model.inspect("workload")
    container["HostConfig"]["Mounts"][1]["BindOptions"] = {"NonRecursive": True}
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Mounts")


def test_bind_mode_in_the_engines_view(model, write_bundle, verify) -> None:
    for mount in model.inspect("root")["Mounts"]:
        mount["Mode"] = "z"
    _fails_on(verify(write_bundle(model)), "root", "/Mounts")


def test_tmpfs_options_beyond_size(model, write_bundle, verify) -> None:
    tmpfs = model.inspect("workload")["HostConfig"]["Tmpfs"]
    tmpfs["/tmp"] += ",nr_blocks=0"  # noqa: S108 (the container's path)
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Tmpfs/~1tmp")


# --- the closed world's own rules -------------------------------------------------------------

def test_null_stands_for_an_empty_list_only_where_the_client_decides(
        model, write_bundle, verify) -> None:
    _edit_both(model, lambda c: c["HostConfig"].update(BlkioDeviceReadBps=None, Ulimits=None))
    assert verify(write_bundle(model)).status == STATUS_READY
    model.inspect("root")["HostConfig"]["Devices"] = None
    _fails_on(verify(write_bundle(model)), "root", "/HostConfig/Devices")


def test_a_missing_field_fails(model, write_bundle, verify) -> None:
    del model.inspect("workload")["HostConfig"]["Privileged"]
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Privileged missing")


def test_types_are_compared_too(model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["Privileged"] = 0
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/Privileged")
    assert not same_json(0, False) and not same_json(1, True) and not same_json("1", 1)


def test_a_log_option_the_profile_sets_fails_a_daemon_one_is_not_modelled(
        model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"]["LogConfig"]["Config"]["max-size"] = "10g"
    _fails_on(verify(write_bundle(model)), "workload", "/HostConfig/LogConfig/Config/max-size")
    model = copy.deepcopy(model)
    model.inspect("workload")["HostConfig"]["LogConfig"]["Config"]["max-size"] = "1m"
    model.inspect("workload")["HostConfig"]["LogConfig"]["Config"]["compress"] = "true"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL and verdict.reasons == _not_modelled(verdict)
    model.inspect("workload")["HostConfig"]["LogConfig"]["Config"]["fluentd-address"] = "x:1"
    _fails_on(verify(write_bundle(model)), "workload",
              "/HostConfig/LogConfig/Config/fluentd-address")


def test_an_engine_api_version_the_data_does_not_model(model, write_bundle, verify) -> None:
    model.docs["engine/facts.json"]["api_version"] = "1.47"
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_PARTIAL
    assert verdict.reasons == ["engine not modelled: docker API 1.47 (server 20.10.24+dfsg1) "
                               "has no entry in data/inspect-fields.yml"]


def test_an_unmodelled_engine_still_compares_what_the_profile_derives(model, write_bundle,
                                                                      verify) -> None:
    model.docs["engine/facts.json"]["api_version"] = "1.47"
    model.inspect("root")["Config"]["Entrypoint"] = ["/bin/sh"]
    _fails_on(verify(write_bundle(model)), "root", "/Config/Entrypoint")


def test_apparmor_hosts_expect_the_engines_default_profile(model, write_bundle,
                                                           verify) -> None:
    model.docs["engine/facts.json"]["security_options"].append("name=apparmor")
    _fails_on(verify(write_bundle(model)), "workload", "/AppArmorProfile")
    _edit_both(model, lambda c: c.update(AppArmorProfile="docker-default"))
    assert _closed_world(verify(write_bundle(model)), "workload").outcome == "pass"


def test_exit_code_follows_result_json(model, write_bundle, verify) -> None:
    model.inspect("root")["State"]["ExitCode"] = 1
    _fails_on(verify(write_bundle(model)), "root", "/State/ExitCode")


def test_container_paths_follow_the_engine_root(model, write_bundle, verify) -> None:
    model.inspect("workload")["LogPath"] = "/var/log/elsewhere.log"
    model.inspect("workload")["HostsPath"] = "/etc/hosts"
    _fails_on(verify(write_bundle(model)), "workload", "/LogPath", "/HostsPath")


# --- the data file --------------------------------------------------------------------------

def test_the_data_names_few_fields_each_with_a_reason() -> None:
    data = _data.load_inspect_fields().document
    reasons = data["not_isolation"]
    assert all(isinstance(reason, str) and len(reason) > 20 for reason in reasons.values())
    assert len(reasons) <= 10


def test_data_does_not_restate_what_the_code_derives(model, write_bundle) -> None:
    # A value derived from the profile, run, image or facts is never also an engine constant:
    # the data could silently shadow (or be shadowed by) the derivation.
    data = _data.load_inspect_fields().document
    engine = data["engines"]["docker"]["1.41"]
    no_engine = {**data, "engines": {}}
    evidence = load_evidence(read_bundle(write_bundle(model)))
    derived = set(expected_picture(evidence, "workload", no_engine).fields)
    constants = set(engine["fields"]) | set(engine["daemon_defaults"])
    for fields in engine["security_modules"].values():
        constants |= set(fields)
    assert not derived & constants
    assert not (derived | constants) & set(data["not_isolation"])


def test_a_data_file_without_reasons_is_refused(tmp_path) -> None:
    path = tmp_path / "inspect-fields.yml"
    path.write_text("format: 1\nnot_isolation:\n  /Created: ''\nengines: {}\n")
    with pytest.raises(_data.DataError, match="reason"):
        _data.load_inspect_fields(str(path))
