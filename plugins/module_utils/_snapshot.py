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

# The event log of the run window, scrubbed inside the template: the action is cut at its first
# colon (exec events carry the command after it) and no attribute but the name is kept.
EVENT_TEMPLATE = (
    '{"time_nano":{{.TimeNano}},"type":{{json .Type}},'
    '"action":{{json (index (split (printf "%s" .Action) ":") 0)}},"id":{{json .Actor.ID}},'
    '"name":{{json (index .Actor.Attributes "name")}}}')

SNAPSHOT_FORMAT = 1


def _label_or_null(labels: str, key: str) -> str:
    return '{{with index %s "%s"}}{{json .}}{{else}}null{{end}}' % (labels, key)


# Identifying templates: each prints one object's final JSON (config_sha256 aside) on one line,
# so the operator packet's shell needs only to append the digest.
IDENT_TEMPLATES = {
    "container": (
        '{"id":{{json .Id}},"name":{{json (slice .Name 1)}},"image":{{json .Config.Image}},'
        '"image_id":{{json .Image}},"state":{{json .State.Status}},'
        '"started_at":{{json .State.StartedAt}},"restart_count":{{json .RestartCount}},'
        '"run_id":%s}' % _label_or_null(".Config.Labels", LABEL_RUN_ID)),
    "network": (
        '{"id":{{json .Id}},"name":{{json .Name}},"driver":{{json .Driver}},"containers":['
        '{{$first := true}}{{range $id, $c := .Containers}}{{if not $first}},{{end}}'
        '{{json $id}}{{$first = false}}{{end}}]}'),
    "volume": (
        '{"name":{{json .Name}},"driver":{{json .Driver}},"run_id":%s}'
        % _label_or_null(".Labels", LABEL_RUN_ID)),
    "image": (
        '{"id":{{json .Id}},"tags":{{if .RepoTags}}{{json .RepoTags}}{{else}}[]{{end}},'
        '"probe_image":{{if eq (index .Config.Labels "%s") "true"}}true{{else}}false{{end}}}'
        % LABEL_PROBE_IMAGE),
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


def _decode(line: str, config_sha256: str) -> dict:
    item = json.loads(line)
    item["config_sha256"] = config_sha256
    return item


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
        objects.append(_decode(ident, config_digest(config)))
    return objects, vanished


def take_snapshot(engine_cli: str, taken_at: str) -> dict:
    snapshot: dict = {"format": SNAPSHOT_FORMAT, "taken_at": taken_at, "vanished": []}
    for kind in ("container", "network", "volume", "image"):
        objects, vanished = snapshot_kind(engine_cli, kind)
        snapshot[kind + "s"] = objects
        snapshot["vanished"] += ["%s:%s" % (kind, ref) for ref in vanished]
    return snapshot
