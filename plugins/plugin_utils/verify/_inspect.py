# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Parsers for the fields of a `docker inspect` document the static checks read.

Each field is parsed the way the engine parses it, never prefix-matched: "no-new-privileges"
bare or "=true" or ":true" are the same setting, "seccomp=" carries inline JSON that is compared
as data, tmpfs options are a set, a user is "uid:gid" numbers.
"""

from __future__ import annotations

import posixpath
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import parse_json

# The sandbox's scratch mount point as the inspect document names it (not a path on this host).
SANDBOX_TMP = "/tmp"  # noqa: S108

# Engine sockets and the directories that hold them: never mounted into a sandbox.
SOCKET_DIRS = frozenset((
    "/", "/run", "/var/run", "/run/docker", "/var/run/docker", "/run/containerd",
    "/var/run/containerd", "/run/podman", "/var/run/podman", "/var/lib/docker",
))

# Go's strconv.ParseBool, which the engine uses for security option values.
_GO_TRUE = ("1", "t", "T", "TRUE", "true", "True")
_GO_FALSE = ("0", "f", "F", "FALSE", "false", "False")


@dataclass
class SecurityOpts:
    no_new_privileges: list[bool | None] = field(default_factory=list)
    seccomp: list[str] = field(default_factory=list)
    others: list[str] = field(default_factory=list)


def split_security_opt(opt: str) -> tuple[str, str | None]:
    """key, value of one SecurityOpt entry, split as the engine does: '=' first, then ':'."""
    if "=" in opt:
        key, value = opt.split("=", 1)
        return key, value
    if opt == "no-new-privileges":
        return opt, None
    if ":" in opt:
        key, value = opt.split(":", 1)
        return key, value
    return opt, None


def parse_security_opts(entries: Any) -> SecurityOpts:
    opts = SecurityOpts()
    for entry in entries if isinstance(entries, list) else []:
        if not isinstance(entry, str):
            opts.others.append(repr(entry))
            continue
        key, value = split_security_opt(entry)
        if key == "no-new-privileges":
            if value is None or value in _GO_TRUE:
                opts.no_new_privileges.append(True)
            elif value in _GO_FALSE:
                opts.no_new_privileges.append(False)
            else:
                opts.no_new_privileges.append(None)
        elif key == "seccomp":
            opts.seccomp.append(value if value is not None else "")
        else:
            opts.others.append(entry if len(entry) < 120 else entry[:119] + "…")
    return opts


def parse_seccomp_value(value: str) -> tuple[Any, str | None]:
    """The inline profile as data, or why it is not one ("unconfined", a path, bad JSON)."""
    if value == "unconfined":
        return None, "seccomp=unconfined"
    if not value.lstrip().startswith("{"):
        return None, "seccomp=%s is not an inline profile" % value[:80]
    try:
        return parse_json(value), None
    except ValueError as exc:
        return None, "seccomp JSON does not parse: %s" % exc


def parse_options(text: Any) -> tuple[set[str], dict[str, str]]:
    """Mount options "rw,noexec,size=16m" as flags and key=value pairs."""
    flags: set[str] = set()
    values: dict[str, str] = {}
    if not isinstance(text, str):
        return flags, values
    for part in text.split(","):
        part = part.strip()
        if not part:
            continue
        if "=" in part:
            key, value = part.split("=", 1)
            values[key] = value
        else:
            flags.add(part)
    return flags, values


_SIZE_UNITS = {"": 1, "k": 1024, "m": 1024 ** 2, "g": 1024 ** 3}


def parse_size(text: str | None) -> int | None:
    """A tmpfs size ("16m", "16777216") in bytes; None when it is not one."""
    if not text:
        return None
    unit = text[-1].lower() if text[-1].isalpha() else ""
    number = text[:-1] if unit else text
    if unit not in _SIZE_UNITS or not number.isdigit():
        return None
    return int(number) * _SIZE_UNITS[unit]


def parse_user(text: Any) -> tuple[int, int | None] | None:
    """ "uid[:gid]" with numbers only; a name would depend on the image's /etc/passwd."""
    if not isinstance(text, str) or not text:
        return None
    uid_text, dummy, gid_text = text.partition(":")
    if not uid_text.isdigit() or (gid_text and not gid_text.isdigit()):
        return None
    return int(uid_text), (int(gid_text) if gid_text else None)


def parse_env(entries: Any) -> dict[str, str]:
    env: dict[str, str] = {}
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, str):
            key, dummy, value = entry.partition("=")
            env[key] = value
    return env


def normalise_cap(cap: Any) -> str:
    text = str(cap).strip().upper()
    return text[4:] if text.startswith("CAP_") else text


def seccomp_allows(profile: Any, syscall: str) -> bool:
    """Whether a seccomp profile can let `syscall` through (conservative: any ALLOW rule naming
    it counts, whatever its conditions; an unnamed syscall gets the default action)."""
    if not isinstance(profile, dict):
        return True
    allowing = ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE", "SCMP_ACT_NOTIFY")
    named = False
    for rule in profile.get("syscalls") or []:
        if not isinstance(rule, dict):
            continue
        names = rule.get("names")
        listed = isinstance(names, list) and syscall in names
        if not listed and rule.get("name") != syscall:
            continue
        named = True
        if rule.get("action") in allowing:
            return True
    if named:
        return False
    return profile.get("defaultAction") in allowing


def socket_mounts(paths: list[Any]) -> list[str]:
    """The mount sources and destinations among `paths` that are an engine socket (*.sock) or a
    directory that holds one (SOCKET_DIRS), sorted; the engines' no_socket_mounts reads them."""
    return sorted({str(p) for p in paths if isinstance(p, str) and (
        p.endswith(".sock") or posixpath.normpath(p) in SOCKET_DIRS)})


def missing_paths(present: list[Any], baseline: list[str]) -> tuple[bool, str]:
    """Whether every baseline system path is in `present` (an empty baseline never holds), and
    what was seen: the masked_paths and readonly_paths checks of both engines."""
    found = {str(p) for p in present}
    missing = [path for path in baseline if path not in found]
    return not missing and bool(baseline), (
        "missing %s" % missing if missing else "%d paths" % len(found))


def tmpfs_hardened(options: Any, size: int | None) -> bool:
    """Mount options of the profile's /tmp: noexec,nosuid,nodev, none undone, of `size` bytes."""
    flags, values = parse_options(options)
    return ({"noexec", "nosuid", "nodev"} <= flags and not flags & {"exec", "suid", "dev"}
            and size is not None and parse_size(values.get("size")) == size)
