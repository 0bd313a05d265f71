# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The hardened run profile: the one source of every run flag.

Rendered two ways: the engine CLI argv that sandbox_run executes (and --check prints, and the
operator packet runs as-is), and the expected values the verifier checks in the inspect
document. Operators may tune the limits within LIMIT_BOUNDS; nothing else is a parameter.
The argv is rendered per runtime (PROFILE_RUNTIMES): one profile, and for Podman only the
differences measured in docs/podman-facts.md section 3.
"""

from __future__ import annotations

import re

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    RUN_ID_PATTERN,
)

PROFILE_NAME = "hardened-v1"
PROFILE_FORMAT = 1

LABEL_RUN_ID = "sandbox.attest.run-id"
LABEL_IDENTITY = "sandbox.attest.identity"
LABEL_PROBE_IMAGE = "sandbox.attest.probe-image"
CONTAINER_NAME_PREFIX = "sandbox-attest-"
PROBE_IMAGE_REPOSITORY = "sandbox-attest/probe"
# The probe image archive's file name where a run loads it (roles/probe_image: in the run's
# directory; the operator packet: beside attest.sh). Podman logs a load by this path alone.
PROBE_ARCHIVE = "probe-image.tar"

DEFAULT_RUN_ROOT = "/var/lib/sandbox-attest"
# The one rule for a run root (check_run_root), whoever reads it: settings_check, the packet,
# engine_facts and the run directory. The strictest rule any of them needs: the packet's sh holds
# the root in single quotes and the verifier finds it again in the argv, so it must be one
# spelling of one path, plain enough to quote and to compare.
RUN_ROOT_COMPONENT = re.compile(r"^[A-Za-z0-9._-]+$")
RUN_ROOT_RULE = ("a run root is an absolute, normalised path below / (no '.' or '..' component, "
                 "no '//', no trailing '/'), each component of letters, digits, '.', '_' "
                 "and '-'")

# uid 65532 is the workload identity; uid 0 runs the same probe set because most weakenings
# are invisible to a non-root user (platform-facts: "What single weakenings flip").
IDENTITIES: dict[str, dict[str, int]] = {
    "workload": {"uid": 65532, "gid": 65532},
    "root": {"uid": 0, "gid": 0},
}
WORKLOAD_IDENTITY = "workload"

SECCOMP_PROFILES = ("targeted-deny", "default-deny")
DEFAULT_SECCOMP_PROFILE = "targeted-deny"
# The runtimes a user may choose (settings accept): those the playbook attests end to end
# (Podman: snapshots, facts, events, the OCI spec and the verifier, docs/podman-facts.md).
RUNTIMES = ("docker", "podman")
# The runtimes the profile renders an argv and a profile document for. The same today; a
# runtime is rendered (and measured) before settings offer it, never offered before the
# verifier can judge it.
PROFILE_RUNTIMES = ("docker", "podman")

# Pinned local log driver: probe output never leaves the host through a logging plugin.
LOG_DRIVER = "json-file"
LOG_OPTS = {"max-size": "1m", "max-file": "1"}
DNS = ("127.0.0.1",)
# A tmpfs inside the container (never a host path): scratch space the probe cannot execute from.
TMPFS_TMP_TARGET = "/tmp"  # noqa: S108
TMPFS_TMP_OPTIONS = ("rw", "noexec", "nosuid", "nodev")
# The private IPC namespace's /dev/shm, pinned: the daemon's --default-shm-size would otherwise
# set it, and no engine fact records that (measured), so the verifier could not derive it. 64m
# is the engine's own default.
SHM_SIZE_MB = 64

DEFAULT_LIMITS: dict[str, int] = {
    "pids": 64,
    "memory_mb": 256,
    "cpus_milli": 1000,
    "tmpfs_tmp_mb": 16,
    "timeout_s": 60,
}
# Inclusive bounds: below the lower one the probe set itself cannot run; above the upper one a
# ceiling stops being a ceiling.
LIMIT_BOUNDS: dict[str, tuple[int, int]] = {
    # PR-PIDS-1 forks at most 512 children: a higher ceiling could not be observed being hit.
    "pids": (16, 512),
    "memory_mb": (32, 4096),
    "cpus_milli": (100, 4000),
    "tmpfs_tmp_mb": (1, 1024),
    "timeout_s": (5, 600),
}


class ProfileError(ValueError):
    """A value that would loosen or break the profile."""


def check_run_id(run_id: str) -> str:
    if not isinstance(run_id, str) or not RUN_ID_PATTERN.match(run_id):
        raise ProfileError(
            "run_id %r does not match %s" % (run_id, RUN_ID_PATTERN.pattern))
    return run_id


def run_root_problem(run_root: object) -> str | None:
    """What is wrong with run_root as a run root, in words, or None when it is one."""
    if not isinstance(run_root, str):
        return "is not a string"
    if not run_root:
        return "is empty"
    if not run_root.startswith("/"):
        return "is relative"
    if run_root.strip("/") == "":
        return "is / itself"
    if run_root.endswith("/"):
        return "ends with '/'"
    components = run_root[1:].split("/")
    if "" in components:
        return "has an empty component ('//')"
    for component in components:
        if component in (".", ".."):
            return "has a %r component" % component
        if not RUN_ROOT_COMPONENT.match(component):
            return "has the component %r, of other characters than letters, digits, '.', " \
                "'_' and '-'" % component
    return None


def check_run_root(run_root: object) -> str:
    """run_root unchanged when it is a run root (RUN_ROOT_RULE), else ProfileError naming what
    is wrong with it: never a silent normalisation, so every caller sees the same string."""
    problem = run_root_problem(run_root)
    if problem is not None:
        raise ProfileError("run root %r %s (%s)" % (run_root, problem, RUN_ROOT_RULE))
    return str(run_root)


def resolve_limits(overrides: dict | None = None) -> dict[str, int]:
    """Merge operator overrides into the defaults, refusing unknown keys and out-of-bound values."""
    limits = dict(DEFAULT_LIMITS)
    for key, value in (overrides or {}).items():
        if key not in LIMIT_BOUNDS:
            raise ProfileError(
                "unknown limit %r (known: %s)" % (key, ", ".join(sorted(LIMIT_BOUNDS))))
        if isinstance(value, bool) or not isinstance(value, int):
            raise ProfileError("limit %s must be an integer, got %r" % (key, value))
        low, high = LIMIT_BOUNDS[key]
        if not low <= value <= high:
            raise ProfileError(
                "limit %s=%d is outside the allowed range %d..%d" % (key, value, low, high))
        limits[key] = value
    return limits


def probe_image_tag(config_hex: str) -> str:
    """The probe image's tag: its repository and the first 12 digits of its ID."""
    return "%s:%s" % (PROBE_IMAGE_REPOSITORY, config_hex[:12])


def container_name(run_id: str, identity: str) -> str:
    return "%s%s-%s" % (CONTAINER_NAME_PREFIX, check_run_id(run_id), identity)


def identity_user(identity: str) -> str:
    if identity not in IDENTITIES:
        raise ProfileError("unknown identity %r (known: %s)" % (identity, ", ".join(IDENTITIES)))
    ids = IDENTITIES[identity]
    return "%d:%d" % (ids["uid"], ids["gid"])


def cpus_string(cpus_milli: int) -> str:
    whole, frac = divmod(cpus_milli, 1000)
    return ("%d.%03d" % (whole, frac)).rstrip("0").rstrip(".")


def run_paths(run_root: str, run_id: str, identity: str, seccomp_profile: str) -> dict[str, str]:
    """Target paths of one run; the run directory layout is part of the bundle contract."""
    run_dir = "%s/%s" % (run_root.rstrip("/"), check_run_id(run_id))
    return {
        "run_dir": run_dir,
        "in": "%s/%s/in" % (run_dir, identity),
        "out": "%s/%s/out" % (run_dir, identity),
        "env_file": "%s/empty.env" % run_dir,
        "seccomp_file": "%s/seccomp-%s.json" % (run_dir, seccomp_profile),
    }


def check_runtime(runtime: object) -> str:
    """runtime unchanged when the profile renders for it, else ProfileError naming those it does."""
    if runtime not in PROFILE_RUNTIMES:
        raise ProfileError("unknown runtime %r: the profile renders for %s" % (
            runtime, ", ".join(PROFILE_RUNTIMES)))
    return str(runtime)


def dns_servers(runtime: str) -> tuple[str, ...]:
    """The --dns servers the argv gives for runtime, and so what the profile document records.
    Podman: none. Podman 4.3 refuses --dns with --network none ("Error: conflicting options: dns
    and the network mode: none", measured: docs/podman-facts.md section 3, measure.sh case
    workload.keep-dns) and then writes no resolv.conf at all (PR-NET-1 reads ENOENT)."""
    return () if check_runtime(runtime) == "podman" else DNS


def create_argv(
    engine_cli: str,
    run_id: str,
    identity: str,
    image_id: str,
    paths: dict[str, str],
    limits: dict[str, int],
    *,
    runtime: str = "docker",
) -> list[str]:
    """The exact `<engine_cli> create` argv of one identity for runtime (PROFILE_RUNTIMES).
    Nothing here loosens with input; the runtimes differ only where measured (dns_servers and
    --read-only-tmpfs below). No --ulimit for Podman: measured not needed (the container starts
    with the rlimits it inherits; docs/podman-facts.md section 3)."""
    check_runtime(runtime)
    memory = "%dm" % limits["memory_mb"]
    argv = [
        engine_cli, "create",
        "--name", container_name(run_id, identity),
        "--label", "%s=%s" % (LABEL_RUN_ID, run_id),
        "--label", "%s=%s" % (LABEL_IDENTITY, identity),
        "--user", identity_user(identity),
        "--network", "none",
    ]
    for server in dns_servers(runtime):
        argv += ["--dns", server]
    argv.append("--read-only")
    if runtime == "podman":
        # Without it Podman's --read-only mounts writable tmpfs on /run and /var/tmp
        # (HostConfig.Tmpfs gains both; measured: docs/podman-facts.md section 3, measure.sh
        # case *.ro-tmpfs). No probe notices them, so the argv must not allow them.
        argv.append("--read-only-tmpfs=false")
    argv += [
        "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges=true",
        "--security-opt", "seccomp=%s" % paths["seccomp_file"],
        "--cgroupns", "private",
        "--ipc", "private",
        "--shm-size", "%dm" % SHM_SIZE_MB,
        "--pids-limit", str(limits["pids"]),
        "--memory", memory,
        "--memory-swap", memory,
        "--cpus", cpus_string(limits["cpus_milli"]),
        "--tmpfs", "%s:%s,size=%dm" % (
            TMPFS_TMP_TARGET, ",".join(TMPFS_TMP_OPTIONS), limits["tmpfs_tmp_mb"]),
        "--mount", "type=bind,source=%s,target=/in,readonly" % paths["in"],
        "--mount", "type=bind,source=%s,target=/out" % paths["out"],
        "--log-driver", LOG_DRIVER,
    ]
    for key, value in LOG_OPTS.items():
        argv += ["--log-opt", "%s=%s" % (key, value)]
    argv += [
        "--env-file", paths["env_file"],
        "--restart", "no",
        image_id,
    ]
    return argv


def profile_document(seccomp_profile: str, limits: dict[str, int], *,
                     runtime: str = "docker") -> dict:
    """What profile/profile.json of the bundle holds: the settings create_argv applies for
    runtime (its dns is what the argv gives, none under Podman)."""
    return {
        "format": PROFILE_FORMAT,
        "name": PROFILE_NAME,
        "runtime": check_runtime(runtime),
        "seccomp_profile": seccomp_profile,
        "limits": dict(limits),
        "identities": {name: {"user": identity_user(name)} for name in IDENTITIES},
        "workload_identity": WORKLOAD_IDENTITY,
        "log_driver": LOG_DRIVER,
        "log_opts": dict(LOG_OPTS),
        "dns": list(dns_servers(runtime)),
        "tmpfs_tmp_options": list(TMPFS_TMP_OPTIONS),
    }
