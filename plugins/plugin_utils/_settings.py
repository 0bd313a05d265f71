# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The operator's settings of an attestation, checked before anything is created.

Only the seccomp profile (among the shipped ones), the runtime, the limits (within the
profile's bounds) and the paths may be set. Ansible ignores variables nobody reads, so an
attempt to loosen the profile through a made-up variable (`sandbox_attest_network=host`) would
pass silently: every `sandbox_attest_*` name that is not a setting is refused instead.
Every user-facing variable carries that prefix; a name used before it did (RENAMED, the one
table of them, checked by every playbook) is refused with the name that replaced it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    DEFAULT_RUN_ROOT,
    DEFAULT_SECCOMP_PROFILE,
    RUNTIMES,
    SECCOMP_PROFILES,
    ProfileError,
    check_run_root,
    resolve_limits,
)
from ansible_collections.sandbox.attest.plugins.module_utils._venue_signature import (
    PinError,
    parse_pin,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    SigningKeyError,
    load_vsa_signing_key,
)

PREFIX = "sandbox_attest_"
SETTINGS = {
    "sandbox_attest_seccomp_profile": "one of the shipped seccomp profiles",
    "sandbox_attest_runtime": "the container runtime (docker)",
    "sandbox_attest_limits": "resource ceilings within their bounds",
    "sandbox_attest_run_root": "the parent of the run directories on the target",
    "sandbox_attest_evidence_root": "where bundles land on the controller",
    "sandbox_attest_venue_fingerprint": "the pinned venue fingerprint (inventory)",
    "sandbox_attest_venue_engine_id": "the pinned engine ID of the venue (inventory)",
    "sandbox_attest_venue_host_key": "the pinned public SSH host key of the venue (inventory)",
    "sandbox_attest_remove_image": "cleanup.yml: remove the cached probe image",
    "sandbox_attest_cleanup_run_ids": "cleanup.yml: the runs to remove",
    "sandbox_attest_verification_dest": "attest.yml, verify.yml: where the verification goes",
    "sandbox_attest_require_ready": "attest.yml, verify.yml: fail unless READY",
    "sandbox_attest_bundle": "verify.yml: the bundle to verify (an absolute path)",
    "sandbox_attest_bundles": "verify.yml: a directory of returned bundles to verify and summarise",
    "sandbox_attest_fleet_dest": "verify.yml: where the summary of sandbox_attest_bundles goes",
    "sandbox_attest_vsa_signing_key": "attest.yml, verify.yml: an Ed25519 key that signs the VSA",
    "sandbox_attest_vsa_signing_key_passphrase": "attest.yml, verify.yml: its passphrase",
    "sandbox_attest_venue": "packet.yml: the venue the packet is for",
    "sandbox_attest_packet_dest": "packet.yml: where the packet is written",
}
# The user-facing names of before the one prefix, and the names that replaced them.
RENAMED = {
    "bundle": "sandbox_attest_bundle",
    "venue": "sandbox_attest_venue",
    "verification_dest": "sandbox_attest_verification_dest",
    "attest_require_ready": "sandbox_attest_require_ready",
    "packet_dest": "sandbox_attest_packet_dest",
}
FIXED = ("network", "cap", "privileged", "mount", "volume", "device", "pid", "ipc", "uts",
         "userns", "namespace", "security_opt", "seccomp_unconfined", "readonly", "read_only",
         "user", "env", "dns", "tmpfs", "log", "apparmor", "selinux")


class SettingsError(ValueError):
    """A setting that is unknown, out of bounds or would loosen the profile."""


@dataclass(frozen=True)
class Settings:
    seccomp_profile: str
    runtime: str
    limits: dict[str, int]
    run_root: str
    evidence_root: str
    venue_host_key: str = ""


def unknown_names(names: list[str]) -> list[str]:
    return sorted(n for n in names if n.startswith(PREFIX) and n not in SETTINGS)


def name_problems(names: list[str]) -> list[str]:
    """An old name given (naming the one that replaced it), or a `sandbox_attest_*` name that
    is not a setting: the check every playbook makes, whatever settings it reads."""
    renamed = ["`%s` is now `%s`" % (old, RENAMED[old])
               for old in sorted(set(names) & set(RENAMED))]
    return renamed + [_explain(name) for name in unknown_names(names)]


def _explain(name: str) -> str:
    rest = name[len(PREFIX):]
    if any(word in rest for word in FIXED):
        return ("%s is not a setting: the network, capabilities, privileges, mounts, "
                "namespaces, user and environment are fixed by the hardened profile and "
                "cannot be loosened" % name)
    return "%s is not a setting of sandbox.attest (settings: %s)" % (name, ", ".join(SETTINGS))


# ansible-runner (AWX's engine) points this at the job's artifact directory, inside its private
# data directory: `ansible-runner worker` streams that directory back to `ansible-runner
# process`, and in an execution-environment container it is the mounted /runner/artifacts/<id>.
RUNNER_ARTIFACTS = "AWX_ISOLATED_DATA_DIR"


def default_evidence_root(environ: dict | None = None, cwd: str | None = None) -> str:
    """Where bundles land when sandbox_attest_evidence_root is not set: under an ansible-runner
    job, `<artifact dir>/evidence` (kept with the job's artifacts); otherwise `evidence/` in
    the directory ansible-playbook runs in - its real working directory, never the `PWD`
    variable, which a launcher passes on unchanged when it starts the job elsewhere (runner
    does: the bundle would follow the launcher's directory, or `/evidence` without `PWD`)."""
    environ = os.environ if environ is None else environ
    artifacts = environ.get(RUNNER_ARTIFACTS)
    if artifacts and os.path.isabs(artifacts):
        return os.path.join(artifacts, "evidence")
    return os.path.join(os.getcwd() if cwd is None else cwd, "evidence")


def check_settings(given: dict, variable_names: list[str]) -> Settings:
    """Raise SettingsError naming every problem; return the normalised settings."""
    problems = name_problems(variable_names)
    seccomp = given.get("seccomp_profile") or DEFAULT_SECCOMP_PROFILE
    if seccomp not in SECCOMP_PROFILES:
        problems.append("seccomp profile %r is not shipped (choose %s)" % (
            seccomp, " or ".join(SECCOMP_PROFILES)))
    runtime = given.get("runtime") or "docker"
    if runtime not in RUNTIMES:
        problems.append("runtime %r is not supported (choose %s)" % (
            runtime, ", ".join(RUNTIMES)))
    limits: dict[str, int] = {}
    raw_limits = given.get("limits")
    if raw_limits is None:
        raw_limits = {}
    if not isinstance(raw_limits, dict):
        problems.append("limits must be a mapping, got %r" % (raw_limits,))
    else:
        try:
            limits = resolve_limits(raw_limits)
        except ProfileError as exc:
            problems.append(str(exc))
    run_root = given.get("run_root") or DEFAULT_RUN_ROOT
    try:
        run_root = check_run_root(run_root)
    except ProfileError as exc:
        problems.append(str(exc))
    evidence_root = given.get("evidence_root")
    if evidence_root is None or evidence_root == "":
        evidence_root = default_evidence_root()
    problems += _evidence_root_problems(evidence_root)
    problems += _signing_key_problems(given.get("vsa_signing_key"),
                                      given.get("vsa_signing_key_passphrase"))
    host_key = given.get("venue_host_key") or ""
    try:
        host_key = parse_pin(host_key) if host_key else ""
    except PinError as exc:
        problems.append("sandbox_attest_venue_host_key: %s" % exc)
    if problems:
        raise SettingsError("; ".join(problems))
    return Settings(seccomp, runtime, limits, run_root,
                    os.path.normpath(str(evidence_root)), host_key)


def _signing_key_problems(path: object, passphrase: object) -> list[str]:
    """A VSA signing key that will not load is refused now, not after the run on the target."""
    if path is None or path == "":
        return []
    if not isinstance(path, str):
        return ["the VSA signing key must be a path (an absolute file on the controller), "
                "got a %s" % type(path).__name__]
    if passphrase is not None and not isinstance(passphrase, str):
        # Its type only: the value is a secret.
        return ["the VSA signing key's passphrase must be a string, got a %s"
                % type(passphrase).__name__]
    try:
        # Expanded as the verify action's `path` option expands it, so both read the same file.
        load_vsa_signing_key(os.path.expanduser(os.path.expandvars(path)), passphrase or None)
    except SigningKeyError as exc:
        return [str(exc)]
    return []


def _evidence_root_problems(path: object) -> list[str]:
    if not isinstance(path, str):
        return ["the evidence root must be a path (an absolute directory on the controller), "
                "got %r" % (path,)]
    if not os.path.isabs(path):
        return ["the evidence root %r is relative: give an absolute directory" % path]
    probe = path
    while not os.path.lexists(probe):
        probe = os.path.dirname(probe)
    if not os.path.isdir(probe):
        return ["the evidence root %s cannot be made: %s is not a directory" % (path, probe)]
    if not os.access(probe, os.W_OK | os.X_OK):
        return ["the evidence root %s is not writable (%s)" % (path, probe)]
    return []
