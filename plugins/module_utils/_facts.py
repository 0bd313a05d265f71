# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine facts (selected fields only), the venue fingerprint and the preflight checks."""

from __future__ import annotations

import hashlib
import json
import os


class FactsError(RuntimeError):
    """A fact the attestation depends on cannot be read."""


# The selected fields of `docker info`, as the bundle keeps them: one template, shared with the
# operator packet; api_version (from `docker version`) is added beside it. Which security
# modules are active is read from security_options by whoever needs it, never stored twice.
# docker_root_dir is kept for the run directory's owners: under --userns-remap the engine names
# its remapped root there (see userns_remap), so the bundle records what the owners followed.
FACTS_TEMPLATE = (
    '{"format":1,"engine_id":{{json .ID}},"server_version":{{json .ServerVersion}},'
    '"kernel_version":{{json .KernelVersion}},"operating_system":{{json .OperatingSystem}},'
    '"os_type":{{json .OSType}},"architecture":{{json .Architecture}},'
    '"security_options":{{if .SecurityOptions}}{{json .SecurityOptions}}{{else}}[]{{end}},'
    '"cgroup_driver":{{json .CgroupDriver}},"cgroup_version":{{json .CgroupVersion}},'
    '"default_runtime":{{json .DefaultRuntime}},"logging_driver":{{json .LoggingDriver}},'
    '"storage_driver":{{json .Driver}},"docker_root_dir":{{json .DockerRootDir}}}')


def security_modules(options: list[str]) -> set[str]:
    """The names in `name=seccomp,profile=default`-style security options."""
    names = set()
    for option in options or []:
        for part in str(option).split(","):
            if part.startswith("name="):
                names.add(part[len("name="):])
    return names


def userns_remap(facts: dict) -> dict | None:
    """The host uid and gid that the engine maps container uid 0 to, or None when it runs
    without --userns-remap. From the engine's own facts: `name=userns` among its security
    options, and its root directory, which the engine suffixes with `/<uid>.<gid>` of the
    remapped root (measured on Docker 20.10: /var/lib/docker/165536.165536). A container uid N
    is then host uid + N within that first subordinate range (checked by mapped_owner)."""
    if "userns" not in security_modules(facts.get("security_options") or []):
        return None
    root_dir = facts.get("docker_root_dir") or ""
    suffix = root_dir.rstrip("/").rsplit("/", 1)[-1]
    uid, dummy, gid = suffix.partition(".")
    if not (uid.isdigit() and gid.isdigit() and uid.isascii() and gid.isascii()):
        raise FactsError("the engine runs with userns-remap but its root directory %r does not "
                         "end in /<uid>.<gid> of the remapped root" % root_dir)
    return {"uid": int(uid), "gid": int(gid)}


def _subordinate_length(path: str, start: int) -> int:
    """The length of the subordinate range that starts at `start` in /etc/subuid or
    /etc/subgid (name:start:length lines); 0 when there is none."""
    try:
        with open(path, encoding="utf-8") as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError("cannot read %s: %s" % (path, exc)) from exc
    for line in lines:
        parts = line.strip().split(":")
        if len(parts) == 3 and parts[1] == str(start) and parts[2].isdigit():
            return int(parts[2])
    return 0


def mapped_owner(remap: dict | None, uid: int, gid: int, subuid: str = "/etc/subuid",
                 subgid: str = "/etc/subgid") -> tuple[int, int]:
    """The host uid and gid that container uid/gid are under the engine's remap (themselves
    without one). The engine maps its subordinate ranges in order from container id 0, so the
    host id is the remapped root plus the id only while the first range (the one starting at
    the remapped root) covers the id: checked here, never assumed."""
    if remap is None:
        return uid, gid
    for path, start, wanted in ((subuid, remap["uid"], uid), (subgid, remap["gid"], gid)):
        length = _subordinate_length(path, start)
        if length <= wanted:
            raise FactsError("the engine's remapped root starts a subordinate range of %d ids "
                             "at %d in %s: container id %d falls outside it"
                             % (length, start, path, wanted))
    return remap["uid"] + uid, remap["gid"] + gid


def select_facts(info_line: str, api_version: str) -> dict:
    """Parse the FACTS_TEMPLATE line and add the API version; nothing else of the host."""
    try:
        facts = json.loads(info_line)
    except ValueError as exc:
        raise FactsError("the engine's info is not readable: %s" % exc) from exc
    if not isinstance(facts, dict) or not facts.get("engine_id"):
        raise FactsError("the engine's info has no engine ID")
    facts["api_version"] = api_version
    return facts


# Podman (issue 18). `podman info` is read whole, as JSON, and selected here: a Go template
# fails on any field its Podman lacks (measured on 4.3.1: `{{.Host.Nope}}` -> "can't evaluate
# field Nope", rc 125), whereas `--format json` prints whatever its version has, and each fact
# below may then be absent without failing (docs/podman-facts.md section 11). Pointers into
# that JSON, measured in the Podman test host; the facts keys are Docker's where the meaning is
# the same.
PODMAN_INFO_ARGS = ("info", "--format", "json")
PODMAN_FACT_PATHS = (
    ("server_version", ("version", "Version")),
    ("kernel_version", ("host", "kernel")),
    ("os_type", ("host", "os")),
    # Go's name (amd64), where Docker reports uname's (x86_64): same meaning, other spelling.
    ("architecture", ("host", "arch")),
    ("cgroup_driver", ("host", "cgroupManager")),
    ("default_runtime", ("host", "ociRuntime", "name")),
    ("logging_driver", ("host", "logDriver")),
    ("storage_driver", ("store", "graphDriverName")),
    # Podman's own facts, no Docker counterpart: where events go (file or journald, detected
    # by Podman on hosts without systemd) and where the store lives.
    ("event_logger", ("host", "eventLogger")),
    ("graph_root", ("store", "graphRoot")),
    ("run_root", ("store", "runRoot")),
)
# Podman's installation ID for the fingerprint: Podman has none (no key of `podman info` and
# nothing in its bolt_state.db is random per installation; the store's birth time reads 0 on
# the test host's overlay), so the runtime name and the store's graph root stand in for it.
PODMAN_ID_PREFIX = "podman:"


def _dig(document: object, path: tuple[str, ...]) -> object:
    for key in path:
        if not isinstance(document, dict):
            return None
        document = document.get(key)
    return document


def _podman_security_options(security: object) -> list[str]:
    """`host.security` in Docker's `name=...` words, so that security_modules reads both: the
    seccomp profile is named by its path (Podman gives no `default`), rootless as Docker
    names it."""
    if not isinstance(security, dict):
        return []
    options = []
    if security.get("seccompEnabled") is True:
        profile = security.get("seccompProfilePath")
        options.append("name=seccomp,profile=%s" % profile if profile else "name=seccomp")
    for key, name in (("apparmorEnabled", "apparmor"), ("selinuxEnabled", "selinux"),
                      ("rootless", "rootless")):
        if security.get(key) is True:
            options.append("name=%s" % name)
    return options


def _podman_operating_system(distribution: object) -> str | None:
    """`debian 12 (bookworm)` from host.distribution; Docker prints /etc/os-release's
    PRETTY_NAME, Podman only its parts."""
    if not isinstance(distribution, dict):
        return None
    words = [str(distribution[key]) for key in ("distribution", "version")
             if distribution.get(key)]
    if distribution.get("codename"):
        words.append("(%s)" % distribution["codename"])
    return " ".join(words) or None


def podman_engine_id(graph_root: str | None) -> str:
    """What stands for the engine ID under Podman: `podman:<graph root>` (empty root when
    `podman info` names none). Never equal to a Docker engine ID, which has no `podman:`."""
    return PODMAN_ID_PREFIX + (graph_root or "")


def select_podman_facts(info_json: str, api_version: str) -> dict:
    """The facts of `podman info --format json`, under Docker's keys where they mean the same;
    a fact Podman does not print is left out (never guessed)."""
    try:
        info = json.loads(info_json)
    except ValueError as exc:
        raise FactsError("podman's info is not readable: %s" % exc) from exc
    if not isinstance(info, dict):
        raise FactsError("podman's info is not a JSON object")
    facts = {"format": 1}  # type: dict
    for key, path in PODMAN_FACT_PATHS:
        value = _dig(info, path)
        if isinstance(value, (str, int)) and not isinstance(value, bool) and value != "":
            facts[key] = value
    # cgroup v1/v2 as Docker writes it ("1"/"2"), where Podman writes "v1"/"v2".
    cgroup = _dig(info, ("host", "cgroupVersion"))
    if isinstance(cgroup, str) and cgroup:
        facts["cgroup_version"] = cgroup[1:] if cgroup.startswith("v") else cgroup
    system = _podman_operating_system(_dig(info, ("host", "distribution")))
    if system:
        facts["operating_system"] = system
    facts["security_options"] = _podman_security_options(_dig(info, ("host", "security")))
    graph_root = facts.get("graph_root")
    facts["engine_id"] = podman_engine_id(graph_root if isinstance(graph_root, str) else None)
    facts["api_version"] = api_version
    return facts


def machine_id_sha256(machine_id: str) -> str:
    """The machine-id's digest: what the bundle carries of it (the machine-id never leaves)."""
    return hashlib.sha256(machine_id.strip().encode("ascii")).hexdigest()


def fingerprint_of(machine_sha256: str, engine_id: str) -> str:
    """The venue fingerprint (method VENUE_METHOD of the bundle format): over the machine-id's
    digest, not the machine-id, so that a verifier recomputes it from the bundle alone and an
    engine ID edited in the bundle no longer matches the pin."""
    material = "%s\n%s\n" % (machine_sha256.strip(), engine_id.strip())
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def venue_identity(machine_id_path: str, engine_id: str) -> tuple[str, str]:
    """(fingerprint, the machine-id's sha256) of this host and engine."""
    try:
        with open(machine_id_path, encoding="ascii") as handle:
            machine_id = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError("cannot read %s: %s" % (machine_id_path, exc)) from exc
    if len(machine_id) != 32 or any(c not in "0123456789abcdef" for c in machine_id):
        raise FactsError("%s does not hold a machine-id (32 lowercase hex)" % machine_id_path)
    machine_sha256 = machine_id_sha256(machine_id)
    return fingerprint_of(machine_sha256, engine_id), machine_sha256


def _version_tuple(version: str) -> tuple[int, ...]:
    try:
        return tuple(int(part) for part in version.split("."))
    except ValueError:
        return ()


def _nearest_existing(path: str) -> str:
    while not os.path.exists(path):
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return path


def preflight_checks(facts: dict, run_root: str, min_api: str, min_free_mb: int) -> list[dict]:
    checks = []

    def check(name: str, ok: bool, message: str) -> None:
        checks.append({"name": name, "ok": bool(ok), "message": message})

    # .get: a Podman fact may be absent (select_podman_facts leaves it out); Docker's template
    # always fills these, so its checks read exactly what they read before.
    api = facts.get("api_version") or ""
    check("api_version", _version_tuple(api) >= _version_tuple(min_api),
          "engine API %s (at least %s needed)" % (api, min_api))
    seccomp = "seccomp" in security_modules(facts.get("security_options") or [])
    check("seccomp", seccomp,
          "the engine %s seccomp" % ("supports" if seccomp else "does not support"))
    check("cgroup_version", facts.get("cgroup_version") in ("1", "2"),
          "cgroup version %r" % facts.get("cgroup_version"))
    check("linux", facts.get("os_type") == "linux", "engine OS type %r" % facts.get("os_type"))
    where = _nearest_existing(run_root)
    stat = os.statvfs(where)
    free_mb = stat.f_bavail * stat.f_frsize // (1024 * 1024)
    check("free_disk", free_mb >= min_free_mb,
          "%d MiB free in the filesystem of %s (at least %d needed)" % (free_mb, where,
                                                                        min_free_mb))
    return checks
