# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Reading a Podman run container's OCI spec (identities/<identity>/oci-spec.json).

Podman's inspect document records what was asked; the spec is what the OCI runtime was given:
the seccomp filter (converted from the shipped profile for the host's architecture), masked and
read-only paths, the five capability sets, namespaces, mounts and resources
(docs/podman-facts.md section 5). The static checks of a Podman bundle read both.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
)

# facts' architecture (Go's GOARCH, as podman info reports it) -> libseccomp's.
SECCOMP_ARCH = {"amd64": "SCMP_ARCH_X86_64", "arm64": "SCMP_ARCH_AARCH64"}
CAPABILITY_SETS = ("bounding", "effective", "inheritable", "permitted", "ambient")
# The namespaces the profile's podman argv makes, each new (no path: none joined).
NAMESPACES = ("pid", "network", "ipc", "uts", "mount", "cgroup")


def seccomp_for_runtime(profile: Any, architecture: Any) -> dict[str, Any] | None:
    """The shipped profile as Podman writes it into the spec: `archMap` resolved to the host's
    architecture and its sub-architectures, and each argument's zero `valueTwo` left out (the
    spec's omitempty). None when the architecture is not one the profile maps."""
    if not isinstance(profile, dict):
        return None
    arch = SECCOMP_ARCH.get(str(architecture))
    entry = next((item for item in as_list(profile.get("archMap"))
                  if isinstance(item, dict) and item.get("architecture") == arch), None)
    if entry is None:
        return None
    converted: dict[str, Any] = {
        "architectures": [arch, *as_list(entry.get("subArchitectures"))],
        "defaultAction": profile.get("defaultAction"),
    }
    if "defaultErrnoRet" in profile:
        converted["defaultErrnoRet"] = profile["defaultErrnoRet"]
    rules = []
    for rule in as_list(profile.get("syscalls")):
        rule = dict(rule)
        if "args" in rule:
            rule["args"] = [{key: value for key, value in as_dict(arg).items()
                             if not (key == "valueTwo" and value == 0)}
                            for arg in as_list(rule["args"])]
        rules.append(rule)
    converted["syscalls"] = rules
    return converted


def capabilities_empty(spec: Any) -> tuple[bool, str]:
    """Whether every capability set the OCI runtime gives the process is empty."""
    caps = dig(spec, "process", "capabilities")
    if not isinstance(caps, dict):
        return False, "process.capabilities %r" % (caps,)
    held = {name: caps[name] for name in sorted(caps) if caps[name] not in ([], None)}
    unknown = sorted(set(caps) - set(CAPABILITY_SETS))
    return not held and not unknown, ("no capability in any set" if not held and not unknown
                                      else "held %s%s" % (held, " unknown sets %s" % unknown
                                                          if unknown else ""))


def namespaces(spec: Any) -> list[tuple[Any, Any]]:
    entries = as_list(dig(spec, "linux", "namespaces"))
    return [(ns.get("type"), ns.get("path")) for ns in entries if isinstance(ns, dict)]


def mounts(spec: Any) -> list[dict[str, Any]]:
    return [m for m in as_list(dig(spec, "mounts")) if isinstance(m, dict)]


def container_dirs(facts: Any, container_id: Any) -> tuple[str, ...]:
    """A Podman container's own directories: `<graph root>/<driver>-containers/<id>/userdata`
    and the same under the run root (measured, docs/podman-facts.md section 5); () when the
    facts or the ID do not say."""
    driver, roots = dig(facts, "storage_driver"), (dig(facts, "graph_root"), dig(facts, "run_root"))
    if not (isinstance(driver, str) and driver and isinstance(container_id, str)
            and len(container_id) == 64 and all(isinstance(root, str) and root.startswith("/")
                                                for root in roots)):
        return ()
    return tuple("%s/%s-containers/%s/userdata" % (root.rstrip("/"), driver, container_id)
                 for root in roots)
