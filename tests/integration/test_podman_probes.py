"""The probe under Podman (issue 18): the product's podman argv (_profile.create_argv with
runtime "podman") in a Podman test host, for both identities and both shipped seccomp profiles,
judged by the verifier's own code against data/expectations.yml's `runtimes.podman`; and each
single weakening of test_probe_observations.py flips the same probe under Podman as under
Docker. Podman's measured differences: docs/podman-facts.md sections 3 and 4."""

from __future__ import annotations

import json
import secrets

import pytest
from podman_host import PodmanHost
from probe_judge import failing, judge
from probe_runner import add, drop, obs, replace, seccomp_opt

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PROBE_ORDER,
)

IDENTITIES = ("workload", "root")
# What Podman observes differently from Docker under the same profile (measured), and so what
# runtimes.podman models differently: no resolv.conf at all; TERM and container injected.
PODMAN_DIFFERS_FROM_DOCKER_DATA = {"PR-NET-1", "PR-ENV-1"}
# The engine socket of the weakening: Podman's API service, started in the test host for it
# and bound where the probe looks for Docker's.
PODMAN_SOCKET = "/run/podman/podman.sock"


@pytest.fixture(scope="module")
def host(podman_host: PodmanHost) -> PodmanHost:
    return podman_host


def run(host: PodmanHost, identity: str, seccomp: str = "targeted-deny", weaken=None) -> dict:
    argv, paths = host.podman_argv(identity, seccomp)
    lines = host.run(identity, weaken(argv) if weaken else argv, paths)
    print(json.dumps({"argv": argv, "lines": lines}, sort_keys=True))  # the run's record
    return lines


@pytest.mark.parametrize("seccomp", ["targeted-deny", "default-deny"])
@pytest.mark.parametrize("identity", IDENTITIES)
def test_hardened_run_passes_every_probe_under_podman(host: PodmanHost, identity: str,
                                                      seccomp: str) -> None:
    lines = run(host, identity, seccomp)
    assert lines["META"]["uid"] == profile.IDENTITIES[identity]["uid"]
    assert lines["META"]["container_id"] == lines["inspect"]["Id"]
    assert lines["END"]["count"] == len(PROBE_ORDER)
    assert failing(judge(lines, identity)) == set(), judge(lines, identity)
    # The Podman data differs from Docker's exactly where Podman was measured to differ.
    assert failing(judge(lines, identity, "docker")) == PODMAN_DIFFERS_FROM_DOCKER_DATA
    assert obs(lines["PR-NET-1"], "read")[0]["errno"] == "ENOENT"
    environ = obs(lines["PR-ENV-1"], "environ")[0]
    assert {"TERM", "container"} <= set(environ["keys"]) <= {
        "PATH", "HOSTNAME", "HOME", "TERM", "container"}
    # Nothing of the run is left in the host's Podman.
    assert host.run_containers() == []


def _network_podman(argv: list[str]) -> list[str]:
    return replace(argv, "--network", "none", "podman")


def _podman_default_seccomp(argv: list[str]) -> list[str]:
    return drop(argv, "--security-opt", seccomp_opt(argv))


def _unconfined(argv: list[str]) -> list[str]:
    return replace(argv, "--security-opt", seccomp_opt(argv), "seccomp=unconfined")


def _dac_read_search(argv: list[str]) -> list[str]:
    return add(argv, "--cap-add", "DAC_READ_SEARCH")


# (weakening, identity, argv change, the probes test_probe_observations.py sees flip under
# Docker: each must fail under Podman too; others may fail with them, as measured).
WEAKENINGS = [
    ("bridge network", "workload", _network_podman, {"PR-NET-2", "PR-NETIF-1"}),
    ("bridge network", "root", _network_podman, {"PR-NET-2", "PR-NETIF-1"}),
    ("cap-add SYS_ADMIN", "root", lambda a: add(a, "--cap-add", "SYS_ADMIN"), {"PR-CAPS-1"}),
    ("cap-add SYS_ADMIN", "workload", lambda a: add(a, "--cap-add", "SYS_ADMIN"),
     {"PR-CAPS-1"}),
    ("seccomp unconfined", "root", _unconfined, {"PR-SECCOMP-1", "PR-USERNS-1"}),
    ("the engine's default seccomp", "root", _podman_default_seccomp, {"PR-PTRACE-1"}),
    ("the engine's default seccomp", "workload", _podman_default_seccomp, {"PR-PTRACE-1"}),
    ("DAC_READ_SEARCH, the engine's default seccomp", "root",
     lambda a: _podman_default_seccomp(_dac_read_search(a)), {"PR-FS-ESC-2"}),
    ("DAC_READ_SEARCH unconfined", "root", lambda a: _unconfined(_dac_read_search(a)),
     {"PR-FS-ESC-2"}),
]


@pytest.mark.parametrize(("weakening", "identity", "weaken", "flips"), WEAKENINGS,
                         ids=["%s-%s" % (w[0], w[1]) for w in WEAKENINGS])
def test_single_weakening_flips_the_same_probe_under_podman(
        host: PodmanHost, weakening: str, identity: str, weaken, flips: set[str]) -> None:
    verdicts = judge(run(host, identity, weaken=weaken), identity)
    assert flips <= failing(verdicts), (weakening, verdicts)


def test_dac_read_search_alone_is_held_by_the_shipped_profile_under_podman(
        host: PodmanHost) -> None:
    # As under Docker: the shipped profile denies the handle calls by name; the capability
    # shows in PR-CAPS-1 and opens nothing (PR-FS-ESC-2 holds).
    lines = run(host, "root", weaken=_dac_read_search)
    assert {o["errno"] for o in obs(lines["PR-FS-ESC-2"], "open_by_handle_at")} == {"EPERM"}
    assert failing(judge(lines, "root")) == {"PR-CAPS-1"}


def test_writable_root_is_noticed_as_not_read_only_under_podman(host: PodmanHost) -> None:
    # Under Docker uid 0 then writes to /; under Podman the vfs layer's / is 0555 root's and uid
    # 0 has no CAP_DAC_OVERRIDE, so the write fails, but with EACCES: not the read-only
    # filesystem row 30 requires (measured, docs/podman-facts.md section 4).
    lines = run(host, "root", weaken=lambda a: drop(a, "--read-only"))
    assert obs(lines["PR-FS-ESC-1"], "open_write")[0]["errno"] not in (None, "EROFS")
    assert "PR-FS-ESC-1" in failing(judge(lines, "root"))


def test_engine_socket_mount_is_noticed_by_uid_0_under_podman(host: PodmanHost) -> None:
    # Podman has no daemon: its API service is started here (no TCP: a unix socket in the
    # host), then bound where the probe looks for the engine's socket.
    host.exec("sh", "-c", "mkdir -p /run/podman && (podman system service --time=0 unix://%s "
              ">/dev/null 2>&1 &) && for i in $(seq 50); do [ -S %s ] && exit 0; sleep 0.1; "
              "done; exit 1" % (PODMAN_SOCKET, PODMAN_SOCKET))
    try:
        mount = "type=bind,source=%s,target=/var/run/docker.sock" % PODMAN_SOCKET
        lines = run(host, "root", weaken=lambda a: add(a, "--mount", mount))
    finally:
        host.exec("pkill", "-f", "podman system service", check=False)
    [sock] = obs(lines["PR-SOCK-DOCKER"], "unix_connect", "/var/run/docker.sock")
    assert sock["errno"] is None and sock["ret"] == 0
    assert "PR-SOCK-DOCKER" in failing(judge(lines, "root"))


def _objects(snapshot_text: str) -> dict[str, list[dict]]:
    """A snapshot's objects per kind, without its clock."""
    snapshot = json.loads(snapshot_text)
    return {kind: snapshot[kind] for kind in ("containers", "pods", "networks", "volumes",
                                              "images")}


def test_podmans_objects_of_the_host_survive_the_runs(host: PodmanHost) -> None:
    # Decoys of every kind Podman has (a pod, a container with several mounts and a secret, a
    # health-checked one, networks with and without members, volumes, tagged and unlabelled
    # images), snapshotted by the product's podman snapshot before and after hardened runs of
    # both identities: every record (configuration digests included) is unchanged, no run
    # container is left, no iptables rule appears, and the secret is in no snapshot.
    secret = "decoy-secret-%s" % secrets.token_hex(8)
    host.make_decoys(secret)
    before, rules_before = host.snapshot(), host.iptables_rules()
    for identity in IDENTITIES:
        assert failing(judge(run(host, identity), identity)) == set()
    after, rules_after = host.snapshot(), host.iptables_rules()
    assert host.run_containers() == []
    objects = _objects(before)
    names = {kind: {o.get("name") for o in found} for kind, found in objects.items()}
    assert {"decoy-mounts", "decoy-health", "decoy-nolabels", "decoy-exited", "decoy-pod-one",
            "decoy-pod-two"} <= names["containers"]
    assert "decoy-pod" in names["pods"]
    assert {"decoy-net-empty", "decoy-net-members"} <= names["networks"]
    assert {"decoy-vol-labelled", "decoy-vol-plain"} <= names["volumes"]
    assert any("localhost/decoy/tagged:two" in o["tags"] for o in objects["images"])
    assert _objects(after) == objects
    assert rules_after == rules_before and rules_before  # the decoys' bridge made some
    # The secret is in the host (its container's environment) and in no snapshot.
    assert secret in host.exec("podman", "inspect", "decoy-mounts").stdout.decode()
    assert secret not in before and secret not in after
