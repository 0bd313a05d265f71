"""The hardened profile: every flag present, nothing loosened by input, bounds enforced."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile

RUN_ID = "20261128T223131Z-1a2b3c4d"


def argv_for(identity: str = "workload", limits: dict | None = None) -> list[str]:
    paths = profile.run_paths("/var/lib/sandbox-attest", RUN_ID, identity, "targeted-deny")
    return profile.create_argv("docker", RUN_ID, identity, "sha256:" + "a" * 64, paths,
                               profile.resolve_limits(limits))


def pairs(argv: list[str]) -> list[tuple[str, str]]:
    return list(itertools.pairwise(argv))


def test_argv_carries_every_hardening_flag() -> None:
    argv = argv_for()
    for flag_value in [("--network", "none"), ("--dns", "127.0.0.1"), ("--cap-drop", "ALL"),
                       ("--security-opt", "no-new-privileges=true"), ("--cgroupns", "private"),
                       ("--pids-limit", "64"), ("--memory", "256m"), ("--memory-swap", "256m"),
                       ("--shm-size", "64m"),
                       ("--cpus", "1"), ("--log-driver", "json-file"), ("--user", "65532:65532"),
                       ("--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=16m")]:  # noqa: S108
        assert flag_value in pairs(argv), flag_value
    assert "--read-only" in argv
    assert ("--security-opt", "seccomp=/var/lib/sandbox-attest/%s/seccomp-targeted-deny.json"
            % RUN_ID) in pairs(argv)
    assert argv[-1] == "sha256:" + "a" * 64


def test_argv_never_loosens() -> None:
    argv = argv_for("root")
    for flag in ("--privileged", "--cap-add", "--pid", "--userns", "--uts", "--device",
                 "-e", "--env", "-v", "--volume", "-p", "--publish", "--volumes-from"):
        assert flag not in argv
    assert not [a for a in argv if "unconfined" in a or "docker.sock" in a]
    assert [v for f, v in pairs(argv) if f == "--network"] == ["none"]


def test_exactly_two_binds_with_modes() -> None:
    mounts = [v for f, v in pairs(argv_for()) if f == "--mount"]
    assert mounts == [
        "type=bind,source=/var/lib/sandbox-attest/%s/workload/in,target=/in,readonly" % RUN_ID,
        "type=bind,source=/var/lib/sandbox-attest/%s/workload/out,target=/out" % RUN_ID,
    ]


def test_root_identity_is_uid_zero_and_named_apart() -> None:
    argv = argv_for("root")
    assert ("--user", "0:0") in pairs(argv)
    assert ("--name", "sandbox-attest-%s-root" % RUN_ID) in pairs(argv)
    assert ("--label", "sandbox.attest.run-id=%s" % RUN_ID) in pairs(argv)


@pytest.mark.parametrize("limits, message", [
    ({"pids": 0}, "outside the allowed range"),
    ({"pids": 100000}, "outside the allowed range"),
    ({"memory_mb": -5}, "outside the allowed range"),
    ({"timeout_s": 10**6}, "outside the allowed range"),
    ({"pids": "64"}, "must be an integer"),
    ({"pids": True}, "must be an integer"),
    ({"privileged": 1}, "unknown limit"),
    ({"network": 1}, "unknown limit"),
])
def test_bad_limits_are_refused(limits: dict, message: str) -> None:
    with pytest.raises(profile.ProfileError, match=message):
        profile.resolve_limits(limits)


def test_limits_within_bounds_are_rendered() -> None:
    argv = argv_for(limits={"pids": 128, "memory_mb": 512, "cpus_milli": 1500})
    assert ("--pids-limit", "128") in pairs(argv)
    assert ("--memory", "512m") in pairs(argv)
    assert ("--cpus", "1.5") in pairs(argv)


@pytest.mark.parametrize("run_id", ["", "x", "20261128T223131Z-1A2B3C4D", "../../etc",
                                    "20261128T223131Z-1a2b3c4d/..", "20261128T223131Z-1a2b3c4"])
def test_bad_run_ids_are_refused(run_id: str) -> None:
    with pytest.raises(profile.ProfileError):
        profile.check_run_id(run_id)


def test_profile_document_names_everything_fixed() -> None:
    doc = profile.profile_document("default-deny", profile.resolve_limits())
    assert doc["seccomp_profile"] == "default-deny"
    assert doc["identities"] == {"workload": {"user": "65532:65532"}, "root": {"user": "0:0"}}
    assert doc["dns"] == ["127.0.0.1"]
