# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A run under bubblewrap as the verifier reads it (issue 19): its records parsed once.

bwrap has no inspect document: what a run claims is its argv (module_utils/_bwrap.execute's
record of what ran), its facts (_bwrap.facts: the filter by digest, the ceilings, Docker's system
paths as this kernel has them) and what /proc showed of the sandbox from the host once bwrap had
set it up (_bwrap.view: status, namespaces against the run's own, uid map, cgroups, mount
table). findings/_profile_bwrap and findings/_cross_bwrap judge it.
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap, _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils import _collection
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list, dig

MANIFEST_PATH = os.path.join(_collection.COLLECTION_ROOT, "files", "seccomp", "manifest.json")
# bwrap's --dev: a tmpfs with these host nodes bound in, and a devpts of its own (measured).
DEV_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")
CAP_SET = re.compile(r"^[0-9a-f]{16}$")


@dataclass(frozen=True)
class Mount:
    """One line of the sandbox's mountinfo as the host read it."""

    mount_id: str
    parent_id: str
    device: str
    root: str
    target: str
    options: frozenset[str]
    fstype: str
    source: str
    super_options: frozenset[str]

    @property
    def readonly(self) -> bool:
        # The kernel writes exactly one of ro/rw first; a line with both is not its.
        return "ro" in self.options and "rw" not in self.options

    @property
    def writable(self) -> bool:
        return "rw" in self.options and "ro" not in self.options


DEVICE = re.compile(r"^[0-9]+:[0-9]+$")


def parse_mountinfo(lines: Any) -> list[Mount] | None:
    """The table as Mounts, or None when it is not one the kernel writes: a malformed line, a
    mount id twice, or not one tree (tree_visible) - a table that cannot be read is no
    evidence of any mount."""
    mounts = []
    for line in as_list(lines):
        parts = str(line).split(" ")
        if "-" not in parts[6:] or len(parts) < 10:
            return None
        sep = parts.index("-", 6)
        if len(parts) < sep + 4 or not (parts[0].isascii() and parts[0].isdigit()
                                        and parts[1].isascii() and parts[1].isdigit()
                                        and DEVICE.match(parts[2])):
            return None
        mounts.append(Mount(mount_id=parts[0], parent_id=parts[1], device=parts[2],
                            root=parts[3], target=parts[4],
                            options=frozenset(parts[5].split(",")), fstype=parts[sep + 1],
                            source=parts[sep + 2],
                            super_options=frozenset(parts[sep + 3].split(","))))
    if not mounts or len({m.mount_id for m in mounts}) != len(mounts):
        return None
    return mounts if tree_visible(mounts) is not None else None


def _under(target: str, parent: str) -> bool:
    return target == parent or target.startswith(parent.rstrip("/") + "/")


def tree_visible(mounts: list[Mount]) -> dict[str, Mount] | None:
    """target -> the mount the sandbox sees there, by the tree the kernel keeps, not by the
    table's order: a mount stacked on another at the same target has that one as its parent
    and hides it, and a hidden mount hides everything mounted in it (a second /proc over the
    first hides every mask in the first). None when the table is not one tree rooted at "/"
    (a parent missing, a mount outside its parent's path, a cycle, two seen at one path)."""
    ids = {m.mount_id: m for m in mounts}
    roots = [m for m in mounts if m.parent_id not in ids]
    if len(roots) != 1 or roots[0].target != "/":
        return None
    covered = {m.parent_id for m in mounts
               if m.parent_id in ids and ids[m.parent_id].target == m.target}
    seen: dict[str, Mount] = {}
    for mount in mounts:
        # hidden when something is stacked on it, or on a mount above it at another path (the
        # one stacked on a parent at the parent's own path is the way through, not hidden)
        hidden, node = mount.mount_id in covered, mount
        for _step in range(len(mounts)):
            if node.parent_id not in ids:
                break
            parent = ids[node.parent_id]
            if not _under(node.target, parent.target):
                return None
            hidden = hidden or (parent.mount_id in covered and parent.target != node.target)
            node = parent
        else:
            return None  # a cycle: no kernel's table
        if not hidden:
            if mount.target in seen:
                return None
            seen[mount.target] = mount
    return seen


def recorded_system_paths(facts: dict[str, Any]) -> dict[str, list[str]] | None:
    """The run's record of Docker's system paths, when it is a partition of the collection's
    own lists (_bwrap.MASKED_PATHS, READONLY_PATHS): every path once, as masked, read-only or
    absent, in its own kind. A record is the target's word: a path of its choosing there would
    be an extra bind the checks expect (a host directory "read-only" at its own path), a masked
    path listed read-only would be bound readable. None otherwise."""
    paths = facts.get("system_paths")
    if not isinstance(paths, dict) or not all(isinstance(paths.get(k), list) and all(
            isinstance(p, str) for p in paths[k])
            for k in ("masked", "masked_dirs", "readonly", "absent")):
        return None
    masked, readonly, absent = paths["masked"], paths["readonly"], paths["absent"]
    listed = masked + readonly + absent
    ok = (sorted(listed) == sorted(_bwrap.MASKED_PATHS + _bwrap.READONLY_PATHS)
          and set(masked) <= set(_bwrap.MASKED_PATHS)
          and set(readonly) <= set(_bwrap.READONLY_PATHS)
          and set(paths["masked_dirs"]) <= set(masked)
          and len(set(paths["masked_dirs"])) == len(paths["masked_dirs"]))
    return {k: list(paths[k]) for k in ("masked", "masked_dirs", "readonly", "absent")} \
        if ok else None


@dataclass(frozen=True)
class Expected:
    """What the run must show: the identity, the run's ids and the profile's settings."""

    identity: str
    run_id: str
    seccomp_name: str
    architecture: str
    masked_paths: tuple[str, ...]
    readonly_paths: tuple[str, ...]
    filters: dict[str, Any]

    @property
    def uid(self) -> int:
        return int(_profile.IDENTITIES[self.identity]["uid"])

    @property
    def gid(self) -> int:
        return int(_profile.IDENTITIES[self.identity]["gid"])

    @property
    def name(self) -> str:
        return _bwrap.cgroup_name(self.run_id, self.identity)

    @property
    def limits(self) -> dict[str, int]:
        return _profile.resolve_limits()


def load_manifest(path: str = MANIFEST_PATH) -> dict[str, Any]:
    """The collection's own record of the filters it ships (files/seccomp/manifest.json)."""
    with open(path, encoding="ascii") as handle:
        return json.load(handle)


@dataclass(frozen=True)
class Run:
    """One identity's bwrap evidence, parsed once."""

    argv: list[str]
    facts: dict[str, Any]
    view: dict[str, Any]
    out: dict[str, Any]
    mounts: list[Mount] | None
    # target -> the mount the sandbox sees there (tree_visible), derived once from mounts
    visible: dict[str, Mount] = field(default_factory=dict)
    # the record's system paths when they are the collection's (recorded_system_paths), once
    system_paths: dict[str, list[str]] | None = None

    @classmethod
    def of(cls, facts: Any, result: Any) -> Run:
        """facts: _bwrap.facts() of the run; result: _bwrap.execute()'s record (view, out)."""
        facts = facts if isinstance(facts, dict) else {}
        result = result if isinstance(result, dict) else {}
        view = result.get("view") if isinstance(result.get("view"), dict) else {}
        out = result.get("out") if isinstance(result.get("out"), dict) else {}
        # The argv that ran (execute()'s record), not the one prepared
        argv = [str(a) for a in as_list(result.get("argv"))]
        # A cut table is no table: what was cut (a bind after 256 stacked system paths) is
        # exactly what no check would see.
        mounts = parse_mountinfo(view.get("mountinfo")) if view.get(
            "mountinfo_truncated") is False else None
        return cls(argv=argv, facts=facts, view=view, out=out, mounts=mounts,
                   visible=(tree_visible(mounts) or {}) if mounts else {},
                   system_paths=recorded_system_paths(facts))

    def bwrap(self) -> list[str]:
        return self.argv[self.argv.index(_bwrap.BWRAP):] if _bwrap.BWRAP in self.argv else []

    def has(self, *run: str) -> bool:
        args = self.bwrap()
        return any(args[i:i + len(run)] == list(run) for i in range(len(args)))

    def at(self, target: str) -> list[Mount]:
        """Every mount at `target`, hidden ones too (a count of them is a check)."""
        return [m for m in self.mounts or [] if m.target == target]

    def seen(self, target: str) -> Mount | None:
        """The mount the sandbox sees at `target` (tree_visible), None when there is none."""
        return self.visible.get(target)

    def status(self, key: str) -> str | None:
        value = dig(self.view, "status", key)
        return value if isinstance(value, str) else None

    def caps_zero(self) -> tuple[bool, str]:
        values = {key: self.status(key) for key in CAP_FIELDS}
        # The kernel writes each set as 16 hex digits: anything else (an empty value too) is
        # not a set shown empty.
        nonzero = {k: v for k, v in values.items()
                   if v is None or not CAP_SET.match(v) or int(v, 16) != 0}
        return not nonzero, "; ".join("%s %s" % (k, v) for k, v in sorted(nonzero.items()))

    def own_namespaces(self, names: tuple[str, ...]) -> list[str]:
        """The namespaces among `names` the sandbox does not have of its own (the same link as
        the run's, or no link), and the info pipe's ids where they disagree with the links."""
        shared = []
        for name in names:
            link = dig(self.view, "namespaces", name)
            host = dig(self.view, "host_namespaces", name)
            # The kernel's form only (no leading zero): the same namespace written another way
            # must not read as a different one.
            pattern = re.compile(r"^%s:\[[1-9][0-9]*\]$" % name)
            if not (isinstance(link, str) and isinstance(host, str) and pattern.match(link)
                    and pattern.match(host)) or link == host:
                shared.append(name)
                continue
            # bwrap's own word on the namespaces it made (--info-fd; all but user's): required,
            # a second source for the link read from /proc
            reported = dig(self.view, "info", "%s-namespace" % name)
            if name != "user" and (not isinstance(reported, int) or isinstance(
                    reported, bool) or link != "%s:[%d]" % (name, reported)):
                shared.append("%s (info says %s, /proc %s)" % (name, reported, link))
        return shared
