"""The probe under the hardened profile, for both identities and both shipped seccomp profiles,
and the single weakenings each probe must notice (platform-facts: 'What single weakenings flip').
Each observation set is written to the test's log so a run records what was observed."""

from __future__ import annotations

import json

import pytest
from probe_runner import add, drop, obs, replace, run_probe, seccomp_opt

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_expectations,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    Context,
    runtime_data,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    evaluate_item,
)

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
    escape = lines["PR-FS-ESC-2"]
    for where in obs(escape, "open_dotdot") + obs(escape, "open_link"):
        # `..` from each bind's root, and a link climbing out of /out, end at the container's
        # root; default-deny allows no symlink, so no link exists to be opened there.
        assert where["dev_ino"] == where["root_dev_ino"] or (
            seccomp == "default-deny" and where["errno"] == "ENOENT")
    assert errnos(escape, "name_to_handle_at") == {"EPERM"}
    assert errnos(escape, "open_by_handle_at") == {"EPERM"}
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
    # A writable root is row 30's; no path leaves the container for it (PR-FS-ESC-2 holds).
    assert _escape_problems(lines) == []


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


def _escape_problems(lines: dict[str, dict]) -> list[str]:
    """What the verifier's expectations say of this PR-FS-ESC-2 line (row 31's probe)."""
    items = runtime_data(load_expectations().document, "docker")["probes"]["PR-FS-ESC-2"]
    ctx = Context(container_hostname=None, container_id=None, limits={}, environment={},
                  dns=None)
    return [p for item in items for p in evaluate_item(item, lines["PR-FS-ESC-2"]["obs"], ctx)]


def _dac_read_search(argv: list[str], seccomp: str | None) -> list[str]:
    argv = add(argv, "--cap-add", "DAC_READ_SEARCH")
    if seccomp is None:
        return drop(argv, "--security-opt", seccomp_opt(argv))  # the engine's default
    return replace(argv, "--security-opt", seccomp_opt(argv), seccomp)


def test_dac_read_search_alone_is_held_by_the_shipped_profiles() -> None:
    # Both shipped profiles deny the handle calls by name: the capability alone opens nothing.
    lines = run_probe("root", weaken=lambda a: add(a, "--cap-add", "DAC_READ_SEARCH"))
    print(json.dumps(lines["PR-FS-ESC-2"], sort_keys=True))
    assert errnos(lines["PR-FS-ESC-2"], "open_by_handle_at") == {"EPERM"}
    assert _escape_problems(lines) == []


def test_dac_read_search_with_the_engine_default_seccomp_permits_the_handle_open() -> None:
    # The engine's default profile denies name_to_handle_at but lets open_by_handle_at through
    # with the capability: asked with a handle naming inode 0, the kernel decodes it (ESTALE),
    # i.e. the permission to open any inode by handle is there. Row 31 must fail on it.
    lines = run_probe("root", weaken=lambda a: _dac_read_search(a, None))
    print(json.dumps(lines["PR-FS-ESC-2"], sort_keys=True))
    assert errnos(lines["PR-FS-ESC-2"], "name_to_handle_at") == {"EPERM"}
    assert errnos(lines["PR-FS-ESC-2"], "open_by_handle_at") == {"ESTALE"}
    assert any("open_by_handle_at" in p for p in _escape_problems(lines))


def test_dac_read_search_unconfined_opens_the_binds_own_root_by_handle() -> None:
    # The known escape's configuration. The handle is /out's own (a scratch directory of this
    # test); the probe only fstat-ed and closed what opened: the same inode as /out.
    lines = run_probe("root", weaken=lambda a: _dac_read_search(a, "seccomp=unconfined"))
    print(json.dumps(lines["PR-FS-ESC-2"], sort_keys=True))
    [opened] = obs(lines["PR-FS-ESC-2"], "open_by_handle_at")
    assert opened["ret"] >= 0 and opened["errno"] is None
    assert opened["dev_ino"] == opened["bind_dev_ino"]
    assert any("open_by_handle_at" in p for p in _escape_problems(lines))
    # uid 65532 gets the capability in no effective set: the same weakening stays EPERM.
    workload = run_probe("workload", weaken=lambda a: _dac_read_search(a, "seccomp=unconfined"))
    assert errnos(workload["PR-FS-ESC-2"], "open_by_handle_at") == {"EPERM"}
