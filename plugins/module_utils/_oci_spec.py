# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Keep a Podman container's OCI spec before it is removed.

`podman inspect` names the seccomp profile's path, not the filter, and has no masked or
read-only paths, effective capabilities or rlimits (docs/podman-facts.md section 5); the
spec Podman handed the OCI runtime (`OCIConfigPath`) has all of them. The path comes from the
engine's inspect document, never from the sandbox, and is held to the engine's own layout:
absolute, normal, `<...>/<container id>/userdata/config.json`, opened without following a link.
"""

from __future__ import annotations

import json
import os
import posixpath

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    OCI_SPEC_MAX_BYTES,
)
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError


def spec_path(inspect: object, container_id: str) -> str:
    """The OCI spec's path from the inspect document, or EngineError naming why not."""
    first = inspect[0] if isinstance(inspect, list) and inspect else None
    path = first.get("OCIConfigPath") if isinstance(first, dict) else None
    if not isinstance(path, str) or not path:
        raise EngineError("the inspect document of %s names no OCIConfigPath" % container_id)
    parts = path.split("/")
    if (not path.startswith("/") or posixpath.normpath(path) != path
            or parts[-3:] != [container_id, "userdata", "config.json"]):
        raise EngineError("OCIConfigPath %r is not <storage>/%s/userdata/config.json" % (
            path[:200], container_id))
    return path


def read_spec(path: str) -> dict:
    """The spec as JSON (an object), at most OCI_SPEC_MAX_BYTES, the last component no link."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise EngineError("cannot open the OCI spec %s: %s" % (path, exc.strerror)) from exc
    with os.fdopen(fd, "rb") as handle:
        data = handle.read(OCI_SPEC_MAX_BYTES + 1)
    if len(data) > OCI_SPEC_MAX_BYTES:
        raise EngineError("the OCI spec %s is over %d bytes" % (path, OCI_SPEC_MAX_BYTES))
    try:
        spec = json.loads(data.decode("utf-8"))
    except ValueError as exc:
        raise EngineError("the OCI spec %s is not JSON: %s" % (path, exc)) from exc
    if not isinstance(spec, dict):
        raise EngineError("the OCI spec %s is not a JSON object" % path)
    return spec
