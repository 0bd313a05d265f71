# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.evidence_bundle: lay out and write the bundle."""

from __future__ import annotations

import json

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import (
    collection_version,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._layout import layout
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import (
    BundleWriteError,
    check_relpath,
    write_bundle,
)

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    run=dict(type="dict", required=True),
    venue=dict(type="dict", required=True),
    facts=dict(type="dict", required=True),
    snapshot_before=dict(type="raw", required=True),
    snapshot_after=dict(type="raw", required=True),
    events=dict(type="list", elements="dict", required=True),
    identities=dict(type="list", elements="dict", required=True),
)


def snapshot_document(name: str, value: object) -> dict:
    """A snapshot as engine_snapshot's snapshot_json (text) or already parsed."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError as exc:
            raise AnsibleActionFail("%s is not JSON text: %s" % (name, exc)) from exc
    if not isinstance(value, dict):
        raise AnsibleActionFail("%s is not a snapshot (a JSON object): %s" % (
            name, type(value).__name__))
    return value


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        producer = {"path": "automated", "collection": "sandbox.attest",
                    "collection_version": collection_version(), "packet_sha256": None}
        try:
            files = layout(args["run"], args["venue"], args["facts"],
                           snapshot_document("snapshot_before", args["snapshot_before"]),
                           snapshot_document("snapshot_after", args["snapshot_after"]),
                           args["events"], args["identities"], producer)
            for path in files:
                check_relpath(path)
            result.update(dest=args["dest"], paths=sorted(files), changed=True)
            if self._task.check_mode:
                result["files"] = len(files)
                return result
            result.update(write_bundle(args["dest"], files))
        except (BundleWriteError, KeyError, IndexError, TypeError, ValueError, OSError) as exc:
            raise AnsibleActionFail("writing the evidence bundle failed: %s: %s" % (
                type(exc).__name__, exc)) from exc
        return result
