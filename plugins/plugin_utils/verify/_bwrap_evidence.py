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
from dataclasses import dataclass
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _bwrap, _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils import _collection
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_list, dig

MANIFEST_PATH = os.path.join(_collection.COLLECTION_ROOT, "files", "seccomp", "manifest.json")
# bwrap's --dev: a tmpfs with these host nodes bound in, and a devpts of its own (measured).
DEV_NODES = ("/dev/null", "/dev/zero", "/dev/full", "/dev/random", "/dev/urandom", "/dev/tty")
CAP_FIELDS = ("CapInh", "CapPrm", "CapEff", "CapBnd", "CapAmb")


@dataclass(frozen=True)
class Mount:
    """One line of the sandbox's mountinfo as the host read it."""

    root: str
    target: str
    options: frozenset[str]
    fstype: str
    source: str
    super_options: frozenset[str]


def parse_mountinfo(lines: Any) -> list[Mount] | None:
    mounts = []
    for line in as_list(lines):
        parts = str(line).split(" ")
        if "-" not in parts[6:] or len(parts) < 10:
            return None
        sep = parts.index("-", 6)
        if len(parts) < sep + 4:
            return None
        mounts.append(Mount(root=parts[3], target=parts[4],
                            options=frozenset(parts[5].split(",")), fstype=parts[sep + 1],
                            source=parts[sep + 2],
                            super_options=frozenset(parts[sep + 3].split(","))))
    return mounts or None


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

    @classmethod
    def of(cls, facts: Any, result: Any) -> Run:
        """facts: _bwrap.facts() of the run; result: _bwrap.execute()'s record (view, out)."""
        facts = facts if isinstance(facts, dict) else {}
        result = result if isinstance(result, dict) else {}
        view = result.get("view") if isinstance(result.get("view"), dict) else {}
        out = result.get("out") if isinstance(result.get("out"), dict) else {}
        # The argv that ran (execute()'s record), not the one prepared
        argv = [str(a) for a in as_list(result.get("argv"))]
        return cls(argv=argv, facts=facts, view=view, out=out,
                   mounts=parse_mountinfo(view.get("mountinfo")))

    def bwrap(self) -> list[str]:
        return self.argv[self.argv.index(_bwrap.BWRAP):] if _bwrap.BWRAP in self.argv else []

    def has(self, *run: str) -> bool:
        args = self.bwrap()
        return any(args[i:i + len(run)] == list(run) for i in range(len(args)))

    def at(self, target: str) -> list[Mount]:
        return [m for m in self.mounts or [] if m.target == target]

    def status(self, key: str) -> str | None:
        value = dig(self.view, "status", key)
        return value if isinstance(value, str) else None

    def caps_zero(self) -> tuple[bool, str]:
        values = {key: self.status(key) for key in CAP_FIELDS}
        nonzero = {k: v for k, v in values.items() if v is None or v.strip("0") != ""}
        return not nonzero, "; ".join("%s %s" % (k, v) for k, v in sorted(nonzero.items()))

    def own_namespaces(self, names: tuple[str, ...]) -> list[str]:
        """The namespaces among `names` the sandbox does not have of its own (the same link as
        the run's, or no link), and the info pipe's ids where they disagree with the links."""
        shared = []
        for name in names:
            link = dig(self.view, "namespaces", name)
            host = dig(self.view, "host_namespaces", name)
            pattern = re.compile(r"^%s:\[[0-9]+\]$" % name)
            if not (isinstance(link, str) and isinstance(host, str) and pattern.match(link)
                    and pattern.match(host)) or link == host:
                shared.append(name)
                continue
            reported = dig(self.view, "info", "%s-namespace" % name)
            if reported is not None and link != "%s:[%s]" % (name, reported):
                shared.append("%s (info says %s, /proc %s)" % (name, reported, link))
        return shared
