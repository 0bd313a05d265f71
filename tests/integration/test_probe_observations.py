"""The probe under the hardened profile, for both identities and both shipped seccomp profiles,
and the single weakenings each probe must notice (platform-facts: 'What single weakenings flip').
Each observation set is written to the test's log so a run records what was observed."""

from __future__ import annotations

import json

import pytest
from probe_runner import add, drop, obs, replace, run_probe, seccomp_opt

IDENTITIES = ("workload", "root")


def errnos(line: dict, op: str) -> set[str | None]:
    return {o["errno"] for o in obs(line, op)}


@pytest.mark.parametrize("seccomp", ["targeted-deny", "default-deny"])
@pytest.mark.parametrize("identity", IDENTITIES)
def test_hardened_run_denies_everything(identity: str, seccomp: str) -> None:
    lines = run_probe(identity, seccomp)
    print(json.dumps(lines, indent=1, sort_keys=True))  # the record of what was observed
    expected_ids = {"PR-NET-1", "PR-NET-2", "PR-SOCK-1", "PR-ENV-1", "PR-FS-RO-IN",
                    "PR-FS-ESC-1", "PR-FS-ESC-2", "PR-FS-OUT-OK", "PR-EXEC-1", "PR-MOUNT-1",
                    "PR-SOCK-DOCKER", "PR-PTRACE-1", "PR-NETIF-1", "PR-CAPS-1", "PR-NNP-1",
                    "PR-SECCOMP-1", "PR-USERNS-1", "PR-PIDS-1"}
    assert expected_ids | {"META", "END"} == set(lines)
    meta = lines["META"]
    assert meta["uid"] == (65532 if identity == "workload" else 0)
    assert len(meta["exe_sha256"]) == 64 and len(meta["container_id"] or "") == 64

    # No route: ENETUNREACH for IPv4; without any IPv6 address the kernel says EADDRNOTAVAIL.
    by_family = {o["target"].startswith("["): o["errno"]
                 for o in obs(lines["PR-NET-2"], "udp_connect")}
    assert by_family == {False: "ENETUNREACH", True: "EADDRNOTAVAIL"}
    assert lines["PR-NET-1"]["obs"][0]["nameservers"] == ["127.0.0.1"]
    assert errnos(lines["PR-SOCK-1"], "socket") == {"EPERM"}
    assert set(obs(lines["PR-ENV-1"], "environ")[0]["keys"]) <= {"PATH", "HOSTNAME", "HOME"}
    assert errnos(lines["PR-FS-RO-IN"], "open_write") == {"EROFS"}
    assert errnos(lines["PR-FS-ESC-1"], "open_write") == {"EROFS"}
    assert errnos(lines["PR-FS-ESC-2"], "open_write") == {"EROFS"}
    wrote = obs(lines["PR-FS-OUT-OK"], "write")[0]
    assert wrote["errno"] is None and wrote["ret"] >= 0 and len(wrote["sha256"]) == 64
    assert errnos(lines["PR-EXEC-1"], "execve") == {"EACCES"}
    assert errnos(lines["PR-MOUNT-1"], "mount") == {"EPERM"}
    assert errnos(lines["PR-SOCK-DOCKER"], "unix_connect") == {"ENOENT"}
    assert errnos(lines["PR-PTRACE-1"], "ptrace_attach") == {"EPERM"}
    assert errnos(lines["PR-PTRACE-1"], "ptrace_traceme") == {"EPERM"}
    assert obs(lines["PR-NETIF-1"], "getifaddrs")[0]["interfaces"] == ["lo"]
    caps = obs(lines["PR-CAPS-1"], "read")[0]
    assert int(caps["CapEff"], 16) == 0 and int(caps["CapBnd"], 16) == 0
    assert obs(lines["PR-NNP-1"], "read")[0]["NoNewPrivs"] == 1
    assert obs(lines["PR-SECCOMP-1"], "read")[0]["Seccomp"] == 2
    assert {o["errno"] for o in lines["PR-USERNS-1"]["obs"]} == {"EPERM"}
    pids = obs(lines["PR-PIDS-1"], "fork")[0]
    assert pids["limit_hit"] and pids["errno"] == "EAGAIN" and pids["forked"] < 64


def test_network_bridge_is_noticed() -> None:
    for identity in IDENTITIES:
        lines = run_probe(identity, weaken=lambda a: replace(a, "--network", "none", "bridge"))
        netif = obs(lines["PR-NETIF-1"], "getifaddrs")[0]["interfaces"]
        assert netif != ["lo"] and "lo" in netif
        assert obs(lines["PR-NETIF-1"], "read", "/proc/net/route")[0]["default_route"]
        # Route check only: UDP connect() sends nothing, and now finds a route.
        assert None in errnos(lines["PR-NET-2"], "udp_connect")


def test_writable_root_filesystem_is_noticed() -> None:
    lines = run_probe("root", weaken=lambda a: drop(a, "--read-only"))
    assert obs(lines["PR-FS-ESC-1"], "open_write")[0]["errno"] is None
    assert obs(lines["PR-FS-ESC-2"], "open_write")[0]["errno"] is None


def test_engine_socket_mount_is_noticed_by_uid_0() -> None:
    mount = "type=bind,source=/var/run/docker.sock,target=/var/run/docker.sock"
    lines = run_probe("root", weaken=lambda a: add(a, "--mount", mount))
    [sock] = obs(lines["PR-SOCK-DOCKER"], "unix_connect", "/var/run/docker.sock")
    assert sock["errno"] is None and sock["ret"] == 0


def test_cap_add_sys_admin_is_noticed() -> None:
    lines = run_probe("root", weaken=lambda a: add(a, "--cap-add", "SYS_ADMIN"))
    caps = obs(lines["PR-CAPS-1"], "read")[0]
    assert int(caps["CapEff"], 16) & (1 << 21)  # CAP_SYS_ADMIN
    workload = run_probe("workload", weaken=lambda a: add(a, "--cap-add", "SYS_ADMIN"))
    assert int(obs(workload["PR-CAPS-1"], "read")[0]["CapBnd"], 16) & (1 << 21)


def test_seccomp_unconfined_is_noticed() -> None:
    def unconfined(argv: list[str]) -> list[str]:
        return replace(argv, "--security-opt", seccomp_opt(argv), "seccomp=unconfined")

    lines = run_probe("root", weaken=unconfined)
    assert obs(lines["PR-SECCOMP-1"], "read")[0]["Seccomp"] == 0
    assert None in {o["errno"] for o in lines["PR-USERNS-1"]["obs"]}


def test_engine_default_seccomp_lets_ptrace_through() -> None:
    def engine_default(argv: list[str]) -> list[str]:
        return drop(argv, "--security-opt", seccomp_opt(argv))

    for identity in IDENTITIES:
        lines = run_probe(identity, weaken=engine_default)
        assert None in errnos(lines["PR-PTRACE-1"], "ptrace_attach") | errnos(
            lines["PR-PTRACE-1"], "ptrace_traceme")
