#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: run_dir
short_description: Make one run's directory on the target, as every run directory is made
version_added: 0.1.0
description:
  - Makes C(<run_root>/<run_id>), root-owned C(0700), with the one maker of run directories
    (module_utils/_run_dir.py C(make)) that M(sandbox.attest.sandbox_run) uses too. A missing
    run root is made root-owned C(0700); an existing one must be a real directory owned by root
    and is left as it is. An existing run directory is reused only when it is a real root-owned
    C(0700) directory.
  - For a step that puts a file into the run directory before the runs (the probe image's
    archive); M(sandbox.attest.run_cleanup) removes it with the rest of the run.
  - In check mode it says whether it would make the directory, and makes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.run_id
  - sandbox.attest.options.run_root
"""

EXAMPLES = r"""
- name: Make the run directory to stage the probe image archive in
  sandbox.attest.run_dir:
    run_id: 20261128T223131Z-1a2b3c4d
  register: run_dir
"""

RETURN = r"""
path:
  description: The run directory, C(<run_root>/<run_id>).
  returned: success
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    RUN_ID,
    RUN_ROOT,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import ProfileError
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    make,
    planned,
)


def main() -> None:
    module = AnsibleModule(argument_spec=argument_spec(RUN_ID, RUN_ROOT),
                           supports_check_mode=True)
    p = module.params
    try:
        path = planned(p["run_root"], p["run_id"])
        changed = not os.path.lexists(path)
        if not module.check_mode:
            make(p["run_root"], p["run_id"])
    except (ProfileError, RunDirError, OSError) as exc:
        module.fail_json(msg="the run directory of %s cannot be made: %s" % (p["run_id"], exc))
    module.exit_json(changed=changed, path=path)


if __name__ == "__main__":
    main()
