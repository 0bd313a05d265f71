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
FACTS_TEMPLATE = (
    '{"format":1,"engine_id":{{json .ID}},"server_version":{{json .ServerVersion}},'
    '"kernel_version":{{json .KernelVersion}},"operating_system":{{json .OperatingSystem}},'
    '"os_type":{{json .OSType}},"architecture":{{json .Architecture}},'
    '"security_options":{{if .SecurityOptions}}{{json .SecurityOptions}}{{else}}[]{{end}},'
    '"cgroup_driver":{{json .CgroupDriver}},"cgroup_version":{{json .CgroupVersion}},'
    '"default_runtime":{{json .DefaultRuntime}},"logging_driver":{{json .LoggingDriver}},'
    '"storage_driver":{{json .Driver}}}')


def security_modules(options: list[str]) -> set[str]:
    """The names in `name=seccomp,profile=default`-style security options."""
    names = set()
    for option in options or []:
        for part in str(option).split(","):
            if part.startswith("name="):
                names.add(part[len("name="):])
    return names


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


def fingerprint_of(machine_id: str, engine_id: str) -> str:
    material = "%s\n%s\n" % (machine_id.strip(), engine_id.strip())
    return "sha256:" + hashlib.sha256(material.encode("utf-8")).hexdigest()


def venue_fingerprint(machine_id_path: str, engine_id: str) -> str:
    try:
        with open(machine_id_path, encoding="ascii") as handle:
            machine_id = handle.read().strip()
    except (OSError, UnicodeDecodeError) as exc:
        raise FactsError("cannot read %s: %s" % (machine_id_path, exc)) from exc
    if len(machine_id) != 32 or any(c not in "0123456789abcdef" for c in machine_id):
        raise FactsError("%s does not hold a machine-id (32 lowercase hex)" % machine_id_path)
    return fingerprint_of(machine_id, engine_id)


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

    api = facts["api_version"]
    check("api_version", _version_tuple(api) >= _version_tuple(min_api),
          "engine API %s (at least %s needed)" % (api, min_api))
    seccomp = "seccomp" in security_modules(facts["security_options"])
    check("seccomp", seccomp,
          "the engine %s seccomp" % ("supports" if seccomp else "does not support"))
    check("cgroup_version", facts["cgroup_version"] in ("1", "2"),
          "cgroup version %r" % facts["cgroup_version"])
    check("linux", facts["os_type"] == "linux", "engine OS type %r" % facts["os_type"])
    where = _nearest_existing(run_root)
    stat = os.statvfs(where)
    free_mb = stat.f_bavail * stat.f_frsize // (1024 * 1024)
    check("free_disk", free_mb >= min_free_mb,
          "%d MiB free in the filesystem of %s (at least %d needed)" % (free_mb, where,
                                                                        min_free_mb))
    return checks
