# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Engine facts (selected fields only), the venue fingerprint and the preflight checks."""

from __future__ import annotations

import hashlib
import os

FACTS_FORMAT = 1


class FactsError(RuntimeError):
    """A fact the attestation depends on cannot be read."""


def _security(options: list[str]) -> dict[str, bool]:
    names = set()
    for option in options or []:
        for part in str(option).split(","):
            if part.startswith("name="):
                names.add(part[len("name="):])
    return {key: key in names for key in ("seccomp", "apparmor", "selinux", "userns",
                                           "rootless")}


def select_facts(info: object, api_version: str) -> dict:
    """The fields of `docker info` the bundle keeps; nothing else of the host."""
    if not isinstance(info, dict) or not info.get("ID"):
        raise FactsError("the engine's info has no engine ID")
    options = [str(o) for o in info.get("SecurityOptions") or []]
    security = _security(options)
    return {
        "format": FACTS_FORMAT,
        "engine_id": str(info["ID"]),
        "server_version": str(info.get("ServerVersion", "")),
        "api_version": api_version,
        "kernel_version": str(info.get("KernelVersion", "")),
        "operating_system": str(info.get("OperatingSystem", "")),
        "os_type": str(info.get("OSType", "")),
        "architecture": str(info.get("Architecture", "")),
        "security_options": options,
        "seccomp": security["seccomp"],
        "apparmor": security["apparmor"],
        "selinux": security["selinux"],
        "userns": security["userns"],
        "rootless": security["rootless"],
        "cgroup_driver": str(info.get("CgroupDriver", "")),
        "cgroup_version": str(info.get("CgroupVersion", "")),
        "default_runtime": str(info.get("DefaultRuntime", "")),
        "runtimes": sorted((info.get("Runtimes") or {}).keys()),
        "logging_driver": str(info.get("LoggingDriver", "")),
        "storage_driver": str(info.get("Driver", "")),
    }


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
    check("seccomp", facts["seccomp"],
          "the engine %s seccomp" % ("supports" if facts["seccomp"] else "does not support"))
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
