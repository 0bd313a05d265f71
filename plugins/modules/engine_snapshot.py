#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: engine_snapshot
short_description: Take a digest-only snapshot of the engine's objects, read-only
version_added: 0.1.0
description:
  - Lists every container, network, volume and image with identifying fields only (ID, name,
    image, state, StartedAt, RestartCount; network driver and attached IDs; volume driver;
    image tags) and a sha256 of each object's configuration. No raw configuration (environment,
    command, labels) is returned, so production secrets never enter the evidence.
  - Reports leftovers of earlier runs of this collection, containers and volumes labelled with
    a run id and run directories under O(run_root), without touching them.
  - Changes nothing; supports check mode.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  engine_cli:
    description: The engine CLI to drive.
    type: str
    default: docker
  run_root:
    description: The parent of the run directories, searched for leftovers.
    type: path
    default: /var/lib/sandbox-attest
  current_run_id:
    description: The run in progress, if any; its own objects are not leftovers.
    type: str
extends_documentation_fragment:
  - sandbox.attest.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
"""

EXAMPLES = r"""
- name: Snapshot the engine before the run
  sandbox.attest.engine_snapshot:
  register: before
"""

RETURN = r"""
snapshot:
  description: The snapshot, as the bundle's C(snapshots/*.json) holds it.
  returned: success
  type: dict
leftovers:
  description: >-
    Objects of earlier runs found on the target, each with C(kind), C(ref) and C(run_id);
    never touched here (C(playbooks/cleanup.yml) removes them).
  returned: success
  type: list
  elements: dict
leftover_run_ids:
  description: The run ids those leftovers belong to.
  returned: success
  type: list
  elements: str
"""

import datetime
import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError
from ansible_collections.sandbox.attest.plugins.module_utils._profile import RUN_ID_PATTERN
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import take_snapshot


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def find_leftovers(snapshot: dict, run_root: str, current: str | None) -> list[dict]:
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


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            engine_cli=dict(type="str", default="docker"),
            run_root=dict(type="path", default="/var/lib/sandbox-attest"),
            current_run_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        snapshot = take_snapshot(module.params["engine_cli"], utc_now())
    except EngineError as exc:
        module.fail_json(msg="snapshot failed: %s" % exc)
    leftovers = find_leftovers(snapshot, module.params["run_root"],
                               module.params["current_run_id"])
    module.exit_json(changed=False, snapshot=snapshot, leftovers=leftovers,
                     leftover_run_ids=sorted({item["run_id"] for item in leftovers}))


if __name__ == "__main__":
    main()
