#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_output
short_description: Read the files the sandbox wrote to its out/ directory, without trusting them
version_added: 0.1.0
description:
  - Reads only regular files with an expected name and a bounded size from
    C(<run_root>/<run_id>/<identity>/out), opening every path component without following
    links. Links, FIFOs, devices, oversized files, unexpected names and entries past the count
    bound are refused, each with its reason. Modes are never kept; nothing is executed.
  - Changes nothing; supports check mode.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  expected:
    description: The names that may be copied.
    type: list
    elements: str
    default: [ok]
  max_bytes:
    description: The largest file copied.
    type: int
    default: 4096
  max_entries:
    description: How many directory entries are looked at, at most.
    type: int
    default: 256
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.run_id
  - sandbox.attest.options.identity
  - sandbox.attest.options.run_root
"""

EXAMPLES = r"""
- name: Read what the workload run wrote
  sandbox.attest.run_output:
    run_id: 20261128T223131Z-1a2b3c4d
    identity: workload
  register: output
"""

RETURN = r"""
copied:
  description: The files read, each with C(name), C(bytes), C(sha256) and C(content_b64).
  returned: success
  type: list
  elements: dict
refused:
  description: The entries not read, each with C(name) (escaped) and C(reason).
  returned: success
  type: list
  elements: dict
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    IDENTITY,
    RUN_ID,
    RUN_ROOT,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    run_dir_of,
)
from ansible_collections.sandbox.attest.plugins.module_utils._safe_read import (
    SafeReadError,
    read_out_dir,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            RUN_ID, IDENTITY, RUN_ROOT,
            expected=dict(type="list", elements="str", default=["ok"]),
            max_bytes=dict(type="int", default=4096),
            max_entries=dict(type="int", default=256),
        ),
        supports_check_mode=True,
    )
    p = module.params
    if not 0 < p["max_bytes"] <= 16 * 1024 * 1024 or not 0 < p["max_entries"] <= 100000:
        module.fail_json(msg="max_bytes must be 1..16 MiB and max_entries 1..100000")
    try:
        out_dir = os.path.join(run_dir_of(p["run_root"], p["run_id"]), p["identity"], "out")
        read = read_out_dir(out_dir, tuple(p["expected"]), p["max_bytes"], p["max_entries"])
    except (RunDirError, SafeReadError) as exc:
        module.fail_json(msg=str(exc))
    module.exit_json(changed=False, **read)


if __name__ == "__main__":
    main()
