"""The profile per runtime: Podman's argv is Docker's with exactly the measured differences
(docs/podman-facts.md section 3) and nothing else, generated over every identity, both shipped
seccomp profiles and several limit sets."""

from __future__ import annotations

import itertools

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_inspect_fields,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._event_vocabulary import (
    VOCABULARIES,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import (
    JUDGED_RUNTIMES,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._profile import (
    RUNTIME_CHECKS,
)

RUN_ID = "20261128T223131Z-1a2b3c4d"
RUN_ROOT = "/var/lib/sandbox-attest"
IMAGE_ID = "sha256:" + "a" * 64
DROPPED_DNS = ["--dns", "127.0.0.1"]
READ_ONLY_TMPFS = "--read-only-tmpfs=false"

# The defaults, every lower bound, every upper bound, and one mix of odd values.
LIMIT_SETS: list[dict[str, int]] = [
    {},
    {key: low for key, (low, high) in profile.LIMIT_BOUNDS.items()},
    {key: high for key, (low, high) in profile.LIMIT_BOUNDS.items()},
    {"pids": 100, "memory_mb": 300, "cpus_milli": 1250, "tmpfs_tmp_mb": 7, "timeout_s": 30},
]
CASES = list(itertools.product(profile.IDENTITIES, profile.SECCOMP_PROFILES,
                               range(len(LIMIT_SETS))))
CASE_IDS = ["%s-%s-limits%d" % case for case in CASES]


def render(runtime: str, identity: str, seccomp: str, limit_set: int) -> list[str]:
    paths = profile.run_paths(RUN_ROOT, RUN_ID, identity, seccomp)
    return profile.create_argv(runtime, RUN_ID, identity, IMAGE_ID, paths,
                               profile.resolve_limits(LIMIT_SETS[limit_set]), runtime=runtime)


def measured_translation(docker: list[str]) -> list[str]:
    """Docker's argv changed the measured way, written apart from the product: each `--dns X`
    left out, --read-only-tmpfs=false right after --read-only, the CLI named podman."""
    out = ["podman"]
    rest = docker[1:]
    i = 0
    while i < len(rest):
        if rest[i] == "--dns":
            i += 2
            continue
        out.append(rest[i])
        if rest[i] == "--read-only":
            out.append(READ_ONLY_TMPFS)
        i += 1
    return out


@pytest.mark.parametrize("identity, seccomp, limit_set", CASES, ids=CASE_IDS)
def test_podman_argv_is_docker_argv_with_only_the_measured_differences(
        identity: str, seccomp: str, limit_set: int) -> None:
    docker = render("docker", identity, seccomp, limit_set)
    podman = render("podman", identity, seccomp, limit_set)
    # The differences are really there to make (not a vacuous comparison) ...
    dns_at = docker.index("--dns")
    assert docker[dns_at:dns_at + 2] == DROPPED_DNS and docker.count("--dns") == 1
    assert READ_ONLY_TMPFS not in docker
    # ... and made exactly: every other argument equal, in order.
    assert podman == measured_translation(docker)
    assert "--dns" not in podman and podman.count(READ_ONLY_TMPFS) == 1
    assert podman[podman.index("--read-only") + 1] == READ_ONLY_TMPFS
    assert len(podman) == len(docker) - 1
    assert not [arg for arg in podman if arg.startswith("--ulimit")]


def hardening(identity: str, seccomp: str, limit_set: int) -> list[tuple[str, ...]]:
    """Every hardening flag of the profile, with its value, derived from the inputs."""
    limits = profile.resolve_limits(LIMIT_SETS[limit_set])
    memory = "%dm" % limits["memory_mb"]
    return [
        ("--cap-drop", "ALL"),
        ("--security-opt", "no-new-privileges=true"),
        ("--security-opt", "seccomp=%s/%s/seccomp-%s.json" % (RUN_ROOT, RUN_ID, seccomp)),
        ("--read-only",),
        ("--network", "none"),
        ("--user", profile.identity_user(identity)),
        ("--pids-limit", str(limits["pids"])),
        ("--memory", memory),
        ("--memory-swap", memory),
        ("--cpus", profile.cpus_string(limits["cpus_milli"])),
        ("--tmpfs", "/tmp:rw,noexec,nosuid,nodev,size=%dm" % limits["tmpfs_tmp_mb"]),  # noqa: S108
        ("--mount", "type=bind,source=%s/%s/%s/in,target=/in,readonly" % (
            RUN_ROOT, RUN_ID, identity)),
    ]


def holds(argv: list[str], flag: tuple[str, ...]) -> bool:
    return any(tuple(argv[i:i + len(flag)]) == flag for i in range(len(argv)))


@pytest.mark.parametrize("identity, seccomp, limit_set", CASES, ids=CASE_IDS)
def test_every_hardening_flag_of_docker_is_in_podman(identity: str, seccomp: str,
                                                     limit_set: int) -> None:
    docker = render("docker", identity, seccomp, limit_set)
    podman = render("podman", identity, seccomp, limit_set)
    for flag in hardening(identity, seccomp, limit_set):
        assert holds(docker, flag), flag
        assert holds(podman, flag), flag
    assert [a for a in podman if "unconfined" in a or a in ("--privileged", "--cap-add")] == []


@pytest.mark.parametrize("runtime", ["bubblewrap", "Docker", "", None, "podman "])
def test_an_unknown_runtime_is_refused_clearly(runtime: object) -> None:
    paths = profile.run_paths(RUN_ROOT, RUN_ID, "workload", "targeted-deny")
    message = r"unknown runtime .*: the profile renders for docker, podman"
    with pytest.raises(profile.ProfileError, match=message):
        profile.create_argv("docker", RUN_ID, "workload", IMAGE_ID, paths,
                            profile.resolve_limits(), runtime=runtime)  # type: ignore[arg-type]
    with pytest.raises(profile.ProfileError, match=message):
        profile.profile_document("targeted-deny", profile.resolve_limits(),
                                 runtime=runtime)  # type: ignore[arg-type]


def test_docker_is_the_default_rendering() -> None:
    paths = profile.run_paths(RUN_ROOT, RUN_ID, "root", "default-deny")
    limits = profile.resolve_limits()
    assert profile.create_argv("docker", RUN_ID, "root", IMAGE_ID, paths, limits) == \
        profile.create_argv("docker", RUN_ID, "root", IMAGE_ID, paths, limits, runtime="docker")
    assert profile.profile_document("default-deny", limits) == \
        profile.profile_document("default-deny", limits, runtime="docker")


@pytest.mark.parametrize("runtime", profile.PROFILE_RUNTIMES)
def test_the_document_records_the_dns_the_argv_applies(runtime: str) -> None:
    argv = render(runtime, "workload", "targeted-deny", 0)
    document = profile.profile_document("targeted-deny", profile.resolve_limits(),
                                        runtime=runtime)
    assert document["runtime"] == runtime
    assert document["dns"] == [value for flag, value in itertools.pairwise(argv)
                               if flag == "--dns"]


def test_podman_document_differs_from_docker_only_in_runtime_and_dns() -> None:
    limits = profile.resolve_limits({"pids": 32})
    docker = profile.profile_document("default-deny", limits)
    podman = profile.profile_document("default-deny", limits, runtime="podman")
    assert docker["runtime"] == "docker" and docker["dns"] == ["127.0.0.1"]
    assert podman["runtime"] == "podman" and podman["dns"] == []
    assert sorted(key for key in docker if docker[key] != podman[key]) == ["dns", "runtime"]
    assert set(docker) == set(podman)


def test_settings_offer_only_what_is_attested_end_to_end() -> None:
    # A runtime is choosable only once the profile renders for it and the verifier judges it:
    # its static checks, its event words and its engine's closed world in the data.
    assert profile.RUNTIMES == ("docker", "podman")
    engines = load_inspect_fields().document["engines"]
    assert set(RUNTIME_CHECKS) == set(VOCABULARIES) == set(JUDGED_RUNTIMES)
    for runtime in profile.RUNTIMES:
        assert runtime in profile.PROFILE_RUNTIMES and runtime in JUDGED_RUNTIMES
        assert runtime in VOCABULARIES and engines.get(runtime), runtime
