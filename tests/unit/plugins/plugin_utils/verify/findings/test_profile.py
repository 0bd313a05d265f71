"""Finding "profile": static conformance, parsed — never prefix-matched."""

from __future__ import annotations

import json

import evidence_builder as eb
import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _json, _seccomp
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    SANDBOX_TMP as TMP,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._inspect import (
    parse_seccomp_value,
    parse_security_opts,
    parse_size,
    parse_user,
    seccomp_allows,
    split_security_opt,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    STATUS_FAILED,
    STATUS_READY,
)


@pytest.mark.parametrize(("opt", "expected"), [
    ("no-new-privileges", [True]),
    ("no-new-privileges=true", [True]),
    ("no-new-privileges:true", [True]),
    ("no-new-privileges=1", [True]),
    ("no-new-privileges=false", [False]),
    ("no-new-privileges:false", [False]),
    ("no-new-privileges=yes", [None]),
])
def test_no_new_privileges_is_parsed_as_the_engine_does(opt, expected) -> None:
    assert parse_security_opts([opt]).no_new_privileges == expected


def test_seccomp_split_keeps_the_json_whole() -> None:
    key, value = split_security_opt('seccomp={"a":"b:c=d"}')
    assert key == "seccomp" and json.loads(value) == {"a": "b:c=d"}
    assert parse_seccomp_value("unconfined")[1] == "seccomp=unconfined"
    assert parse_seccomp_value("/etc/seccomp.json")[1].endswith("not an inline profile")


def test_seccomp_allows() -> None:
    profile = _seccomp.seccomp_profile("targeted-deny")
    assert not seccomp_allows(profile, "ptrace")
    assert seccomp_allows(profile, "read")
    assert not seccomp_allows(profile, "some_future_syscall")
    assert seccomp_allows({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}, "ptrace")
    assert seccomp_allows(None, "ptrace")


def test_sizes_and_users() -> None:
    assert parse_size("16m") == 16 * 1024 * 1024
    assert parse_size("16777216") == 16 * 1024 * 1024
    assert parse_size("16x") is None
    assert parse_user("65532:65532") == (65532, 65532)
    assert parse_user("nobody") is None
    assert parse_user("0") == (0, None)


def test_seccomp_compared_semantically_not_textually(model, write_bundle, verify) -> None:
    # Same profile, different serialisation (key order, spaces): still the shipped one.
    profile = _seccomp.seccomp_profile("targeted-deny")
    text = json.dumps(dict(reversed(list(profile.items()))), indent=1)
    for identity in ("workload", "root"):
        model.inspect(identity)["HostConfig"]["SecurityOpt"][1] = "seccomp=" + text
    assert verify(write_bundle(model)).status == STATUS_READY


def test_seccomp_of_the_other_shipped_profile_fails(model, write_bundle, verify) -> None:
    other = _json.canonical_text(_seccomp.seccomp_profile("default-deny"))
    model.inspect("root")["HostConfig"]["SecurityOpt"][1] = "seccomp=" + other
    verdict = verify(write_bundle(model))
    assert eb.check_failed(verdict, "profile", "seccomp_shipped")
    assert not eb.check_failed(verdict, "profile", "seccomp_denies_ptrace")


def test_two_seccomp_options_fail(model, write_bundle, verify) -> None:
    opts = model.inspect("root")["HostConfig"]["SecurityOpt"]
    opts.append("seccomp=unconfined")
    assert eb.check_failed(verify(write_bundle(model)), "profile", "seccomp_shipped")


def test_nnp_true_then_false_fails(model, write_bundle, verify) -> None:
    model.inspect("root")["HostConfig"]["SecurityOpt"].append("no-new-privileges=false")
    assert eb.check_failed(verify(write_bundle(model)), "profile", "no_new_privileges")


@pytest.mark.parametrize(("field", "value", "check"), [
    ("Dns", ["127.evil.example"], "dns_loopback"),
    ("Dns", ["10.0.0.2"], "dns_loopback"),
    ("Dns", [], "dns_loopback"),
    ("ExtraHosts", ["db:10.0.0.5"], "dns_loopback"),
    ("ReadonlyRootfs", "true", "readonly_rootfs"),
    ("CapDrop", ["NET_RAW"], "cap_drop_all"),
    ("CapAdd", ["CAP_NET_RAW"], "no_cap_add"),
    ("Privileged", None, "not_privileged"),
    ("PidsLimit", 0, "limits"),
    ("Memory", 0, "limits"),
    ("MemorySwap", -1, "limits"),
    ("NanoCpus", 4_000_000_000, "limits"),
    ("Tmpfs", {TMP: "rw,exec,nosuid,nodev,size=16m"}, "tmpfs_tmp"),
    ("Tmpfs", {TMP: "rw,noexec,nosuid,size=16m"}, "tmpfs_tmp"),
    ("Tmpfs", {TMP: "rw,noexec,nosuid,nodev,size=2g"}, "tmpfs_tmp"),
    ("Tmpfs", {TMP: "rw,noexec,nosuid,nodev,size=16m", "/run": "rw"}, "tmpfs_tmp"),
    ("PidMode", "host", "no_host_namespaces"),
    ("IpcMode", "host", "no_host_namespaces"),
    ("UTSMode", "host", "no_host_namespaces"),
    ("UsernsMode", "host", "no_host_namespaces"),
    ("Devices", [{"PathOnHost": "/dev/kmsg", "PathInContainer": "/dev/kmsg",
                  "CgroupPermissions": "rwm"}], "no_devices"),
    ("DeviceCgroupRules", ["a *:* rwm"], "no_devices"),
    ("MaskedPaths", [], "masked_paths"),
    ("ReadonlyPaths", ["/proc/bus"], "readonly_paths"),
    ("LogConfig", {"Type": "syslog", "Config": {}}, "log_driver"),
    ("SecurityOpt", ["no-new-privileges=true", "label=disable", "seccomp=unconfined"],
     "security_opts_known"),
    ("PortBindings", {"80/tcp": [{"HostIp": "", "HostPort": "8080"}]}, "no_ports"),
    ("GroupAdd", ["docker"], "user"),
    ("Binds", ["/:/host"], "binds_exact"),
])
def test_weakened_field_fails_its_check(field, value, check, model, write_bundle, verify) -> None:
    model.inspect("workload")["HostConfig"][field] = value
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_FAILED
    assert eb.check_failed(verdict, "profile", check), [
        c.message for c in verdict.finding("profile").not_passed()]


def test_workload_running_as_root_fails(model, write_bundle, verify) -> None:
    model.inspect("workload")["Config"]["User"] = "0:0"
    assert eb.check_failed(verify(write_bundle(model)), "profile", "user")


def test_named_user_fails(model, write_bundle, verify) -> None:
    model.inspect("workload")["Config"]["User"] = "nobody"
    assert eb.check_failed(verify(write_bundle(model)), "profile", "user")


def test_an_injected_secret_in_env_fails(model, write_bundle, verify) -> None:
    model.inspect("root")["Config"]["Env"] = ["DATABASE_URL=postgres://x", "PATH=/bin"]
    verdict = verify(write_bundle(model))
    check = next(c for c in verdict.finding("profile").checks
                 if c.id == "env" and c.identity == "root")
    assert check.outcome == "fail" and "DATABASE_URL" in check.observed


def test_a_readonly_out_bind_fails(model, write_bundle, verify) -> None:
    container = model.inspect("root")
    container["Mounts"][1]["RW"] = False
    container["HostConfig"]["Mounts"][1]["ReadOnly"] = True
    assert eb.check_failed(verify(write_bundle(model)), "profile", "bind_out_rw")


def test_a_writable_in_bind_fails(model, write_bundle, verify) -> None:
    container = model.inspect("root")
    container["Mounts"][0]["RW"] = True
    del container["HostConfig"]["Mounts"][0]["ReadOnly"]
    assert eb.check_failed(verify(write_bundle(model)), "profile", "bind_in_ro")


def test_bind_from_another_directory_fails(model, write_bundle, verify) -> None:
    container = model.inspect("root")
    container["Mounts"][0]["Source"] = "/home/operator/in"
    assert eb.check_failed(verify(write_bundle(model)), "profile", "binds_exact")


def test_shared_propagation_fails(model, write_bundle, verify) -> None:
    model.inspect("root")["Mounts"][1]["Propagation"] = "rshared"
    assert eb.check_failed(verify(write_bundle(model)), "profile", "binds_exact")


def test_argv_not_rendered_by_the_profile_fails(model, write_bundle, verify) -> None:
    argv = model.docs["identities/root/argv.json"]
    argv.insert(2, "--privileged")
    verdict = verify(write_bundle(model))
    assert eb.check_failed(verdict, "profile", "argv_rendered")
    assert verdict.status == STATUS_FAILED


def test_limits_out_of_bounds_in_profile_fail(model, write_bundle, verify) -> None:
    model.docs["profile/profile.json"]["limits"]["pids"] = 100000
    verdict = verify(write_bundle(model))
    assert eb.check_failed(verdict, "profile", "profile_document")


def test_tuned_limits_within_bounds_pass(probe_path, digests, write_bundle, verify) -> None:
    import evidence_builder as eb

    from ansible_collections.sandbox.attest.plugins.module_utils import _profile

    model = eb.make_model(probe_path, *digests)
    limits = _profile.resolve_limits({"pids": 128, "memory_mb": 512, "cpus_milli": 1500})
    model.docs["profile/profile.json"] = _profile.profile_document("targeted-deny", limits)
    for identity in ("workload", "root"):
        host = model.inspect(identity)["HostConfig"]
        host.update(PidsLimit=128, Memory=512 * 1024 * 1024, MemorySwap=512 * 1024 * 1024,
                    NanoCpus=1_500_000_000)
        paths = _profile.run_paths(eb.RUN_ROOT, eb.RUN_ID, identity, "targeted-deny")
        argv = _profile.create_argv("docker", eb.RUN_ID, identity, digests[0], paths, limits)
        model.docs["identities/%s/argv.json" % identity] = argv
        model.docs["identities/%s/result.json" % identity]["commands"][0] = argv
    verdict = verify(write_bundle(model))
    assert verdict.status == STATUS_READY, verdict.reasons
