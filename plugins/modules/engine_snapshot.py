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
  current_run_id:
    description: The run in progress, if any; its own objects are not leftovers.
    type: str
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
  - sandbox.attest.options.run_root
"""

EXAMPLES = r"""
- name: Snapshot the engine before the run
  sandbox.attest.engine_snapshot:
  register: before
"""

RETURN = r"""
snapshot_json:
  description:
    - The snapshot, as the bundle's C(snapshots/*.json) holds it, as canonical JSON text (sorted
      keys, ASCII). Parse it with C(from_json).
    - Text, not a structure, because it passes through Ansible's variables to the bundle. A
      1,000-object snapshot as a structure cost 0.1-0.7 s per copy (templating walks every
      value), as text a few milliseconds (measured here with ansible-core 2.19).
  returned: success
  type: str
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError
from ansible_collections.sandbox.attest.plugins.module_utils._leftovers import (
    snapshot_with_leftovers,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    RUN_ROOT,
    RUNTIME,
    argument_spec,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            ENGINE_CLI, RUNTIME, RUN_ROOT,
            current_run_id=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    try:
        taken = snapshot_with_leftovers(module.params["engine_cli"], module.params["runtime"],
                                        module.params["run_root"],
                                        module.params["current_run_id"])
    except EngineError as exc:
        module.fail_json(msg="snapshot failed: %s" % exc)
    module.exit_json(changed=False, **taken)


if __name__ == "__main__":
    main()
