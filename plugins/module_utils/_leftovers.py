# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What runs leave on a target: found by their run-id label or run directory, never by name.

engine_snapshot reports the leftovers of earlier runs (and touches none); run_cleanup removes
the containers of one run, each one's label read back first.
"""

from __future__ import annotations

import os

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import RUN_ID_PATTERN
from ansible_collections.sandbox.attest.plugins.module_utils._engine import run_cli, utc_now
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text
from ansible_collections.sandbox.attest.plugins.module_utils._profile import LABEL_RUN_ID
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import take_snapshot


def find_leftovers(snapshot: dict, run_root: str, current: str | None) -> list[dict]:
    """Containers and volumes labelled with another run's id, and run directories of other runs
    under run_root, each with its kind, ref, name and run id."""
    found = []
    for container in snapshot["containers"]:
        if container["run_id"] and container["run_id"] != current:
            found.append({"kind": "container", "ref": container["id"],
                          "name": container["name"], "run_id": container["run_id"]})
    for volume in snapshot["volumes"]:
        if volume["run_id"] and volume["run_id"] != current:
            found.append({"kind": "volume", "ref": volume["name"], "name": volume["name"],
                          "run_id": volume["run_id"]})
    if os.path.isdir(run_root):
        for name in sorted(os.listdir(run_root)):
            if RUN_ID_PATTERN.match(name) and name != current:
                found.append({"kind": "run_directory", "ref": os.path.join(run_root, name),
                              "name": name, "run_id": name})
    return found


def leftover_run_ids(leftovers: list[dict]) -> list[str]:
    return sorted({item["run_id"] for item in leftovers})


def run_containers(engine_cli: str, run_id: str) -> list[str]:
    """The IDs of the containers labelled with run_id, each label read back (a filter alone
    could match a prefix on an engine that gets it wrong)."""
    listed = run_cli([engine_cli, "ps", "-aq", "--no-trunc", "--filter",
                      "label=%s=%s" % (LABEL_RUN_ID, run_id)]).stdout.split()
    mine = []
    for cid in listed:
        label = run_cli([engine_cli, "container", "inspect", "--format",
                         '{{index .Config.Labels "%s"}}' % LABEL_RUN_ID, cid], check=False)
        if label.rc == 0 and label.stdout.strip() == run_id:
            mine.append(cid)
    return mine


def remove_commands(engine_cli: str, containers: list[str]) -> list[list[str]]:
    return [[engine_cli, "rm", "--force", "--volumes", cid] for cid in containers]


def snapshot_with_leftovers(engine_cli: str, runtime: str, run_root: str,
                            current: str | None) -> dict:
    """The engine's digest-only snapshot as canonical JSON text, the leftovers of earlier runs
    it shows and their run ids: what engine_snapshot returns, and engine_facts with snapshot.
    EngineError when the engine cannot be read."""
    snapshot = take_snapshot(engine_cli, utc_now(), runtime)
    leftovers = find_leftovers(snapshot, run_root, current)
    return dict(snapshot_json=canonical_text(snapshot), leftovers=leftovers,
                leftover_run_ids=leftover_run_ids(leftovers))
