#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_cleanup
short_description: Remove exactly what one run created, nothing else
version_added: 0.1.0
description:
  - Removes the containers whose C(sandbox.attest.run-id) label equals O(run_id) (each one's
    label is read back before it is removed, never matched by name or prefix) and the run
    directory C(<run_root>/<run_id>), without following links.
  - Never touches an object without this run's id; the probe image is a cache, not part of a
    run, and is left alone.
  - In check mode it lists what it would remove and removes nothing.
  - Docker and Podman take the same commands here (C(ps --filter label=), C(container inspect)
    of the label, C(rm --force --volumes)), measured with Podman 4.3; O(runtime) is accepted so
    that every module a role calls takes the same runtime.
author:
  - sandbox.attest contributors (@sandbox-attest)
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.run_id
  - sandbox.attest.options.run_root
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
"""

EXAMPLES = r"""
- name: Remove what the run created
  sandbox.attest.run_cleanup:
    run_id: 20261128T223131Z-1a2b3c4d
"""

RETURN = r"""
containers:
  description: The IDs of the run's containers removed (or, in check mode, to be removed).
  returned: success
  type: list
  elements: str
run_dir:
  description: The run directory, when it existed.
  returned: success
  type: str
commands:
  description: The engine commands that ran or would run.
  returned: success
  type: list
  elements: list
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._leftovers import (
    remove_commands,
    run_containers,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    RUN_ID,
    RUN_ROOT,
    RUNTIME,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    remove,
    run_dir_of,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(RUN_ID, RUN_ROOT, ENGINE_CLI, RUNTIME),
        supports_check_mode=True,
    )
    p = module.params
    try:
        run_dir = run_dir_of(p["run_root"], p["run_id"])
        run_id = os.path.basename(run_dir)
        containers = run_containers(p["engine_cli"], run_id)
        commands = remove_commands(p["engine_cli"], containers)
        has_dir = os.path.lexists(run_dir)
        changed = bool(containers) or has_dir
        if not module.check_mode:
            for argv in commands:
                run_cli(argv)
            remove(p["run_root"], run_id)
    except (EngineError, RunDirError, OSError) as exc:
        module.fail_json(msg="cleanup of run %s failed: %s" % (p["run_id"], exc))
    module.exit_json(changed=changed, containers=containers, commands=commands,
                     run_dir=run_dir if has_dir else None)


if __name__ == "__main__":
    main()
