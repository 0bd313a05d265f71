# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Digest-only snapshots of the engine's objects.

Production containers' environments hold secrets, so no raw configuration leaves the target:
per object, identifying fields from one `--format` template and the sha256 of the line a second
template prints. The operator packet runs the very same template strings through
`docker inspect --format "$T" ID | sha256sum`, so both paths give the same digests.
"""

from __future__ import annotations

import hashlib
import json

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    LABEL_PROBE_IMAGE,
    LABEL_RUN_ID,
)

SNAPSHOT_FORMAT = 1
_RUN_LABEL = '{{index .Config.Labels "%s"}}' % LABEL_RUN_ID

# Identifying templates: one JSON array per object per line.
IDENT_TEMPLATES = {
    "container": (
        '[{{json .Id}},{{json .Name}},{{json .Config.Image}},{{json .Image}},'
        '{{json .State.Status}},{{json .State.StartedAt}},{{json .RestartCount}},'
        '{{json (index .Config.Labels "%s")}}]' % LABEL_RUN_ID),
    "network": (
        '[{{json .Id}},{{json .Name}},{{json .Driver}},'
        '[{{range $id, $c := .Containers}}{{json $id}},{{end}}null]]'),
    "volume": (
        '[{{json .Name}},{{json .Driver}},{{json (index .Labels "%s")}}]' % LABEL_RUN_ID),
    "image": (
        '[{{json .Id}},{{json .RepoTags}},'
        '{{json (index .Config.Labels "%s")}}]' % LABEL_PROBE_IMAGE),
}
# Configuration templates: their output is hashed, never kept.
CONFIG_TEMPLATES = {
    "container": "{{json .Config}}{{json .HostConfig}}{{json .Mounts}}",
    "network": "{{json .Driver}}{{json .IPAM}}{{json .Options}}{{json .Labels}}"
               "{{json .Internal}}{{json .Attachable}}{{json .EnableIPv6}}",
    "volume": "{{json .Driver}}{{json .Options}}{{json .Labels}}{{json .Mountpoint}}",
    "image": "{{json .Config}}{{json .RootFS}}",
}
LIST_COMMANDS = {
    "container": ["ps", "-aq", "--no-trunc"],
    "network": ["network", "ls", "-q", "--no-trunc"],
    "volume": ["volume", "ls", "-q"],
    "image": ["image", "ls", "-aq", "--no-trunc"],
}
INSPECT_COMMANDS = {
    "container": ["container", "inspect"],
    "network": ["network", "inspect"],
    "volume": ["volume", "inspect"],
    "image": ["image", "inspect"],
}


def _list(engine_cli: str, kind: str) -> list[str]:
    out = run_cli([engine_cli] + LIST_COMMANDS[kind]).stdout.split()
    return sorted(set(out))


def _inspect_lines(engine_cli: str, kind: str, ref: str, template: str) -> str | None:
    """One object's template line, or None when it vanished between list and inspect."""
    result = run_cli([engine_cli] + INSPECT_COMMANDS[kind] + ["--format", template, ref],
                     check=False)
    if result.rc != 0:
        if "No such" in result.stderr or "not found" in result.stderr.lower():
            return None
        raise EngineError("inspect of %s %s failed: %s" % (kind, ref, result.stderr.strip()))
    return result.stdout if result.stdout.endswith("\n") else result.stdout + "\n"


def _decode(kind: str, line: str, config_sha256: str) -> dict:
    fields = json.loads(line)
    if kind == "container":
        return {
            "id": fields[0], "name": fields[1].lstrip("/"), "image": fields[2],
            "image_id": fields[3], "state": fields[4], "started_at": fields[5],
            "restart_count": fields[6], "run_id": fields[7] or None,
            "config_sha256": config_sha256,
        }
    if kind == "network":
        return {"id": fields[0], "name": fields[1], "driver": fields[2],
                "containers": sorted(c for c in fields[3] if c), "config_sha256": config_sha256}
    if kind == "volume":
        return {"name": fields[0], "driver": fields[1], "run_id": fields[2] or None,
                "config_sha256": config_sha256}
    return {"id": fields[0], "tags": sorted(fields[1] or []),
            "probe_image": fields[2] == "true", "config_sha256": config_sha256}


def config_digest(line: str) -> str:
    return hashlib.sha256(line.encode("utf-8")).hexdigest()


def snapshot_kind(engine_cli: str, kind: str) -> tuple[list[dict], list[str]]:
    """(objects, refs that vanished while being read)."""
    objects, vanished = [], []
    for ref in _list(engine_cli, kind):
        ident = _inspect_lines(engine_cli, kind, ref, IDENT_TEMPLATES[kind])
        config = _inspect_lines(engine_cli, kind, ref, CONFIG_TEMPLATES[kind])
        if ident is None or config is None:
            vanished.append(ref)
            continue
        objects.append(_decode(kind, ident, config_digest(config)))
    return objects, vanished


def take_snapshot(engine_cli: str, taken_at: str) -> dict:
    snapshot: dict = {"format": SNAPSHOT_FORMAT, "taken_at": taken_at, "vanished": []}
    for kind in ("container", "network", "volume", "image"):
        objects, vanished = snapshot_kind(engine_cli, kind)
        snapshot[kind + "s"] = objects
        snapshot["vanished"] += ["%s:%s" % (kind, ref) for ref in vanished]
    return snapshot
