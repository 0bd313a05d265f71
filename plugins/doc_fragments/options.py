# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The options several modules share, documented once.

Each section matches a piece of plugins/module_utils/_options.py, the argument spec the modules
build from; tests/unit/plugins/modules/test_documentation.py holds the two together.
"""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
"""

    ENGINE_CLI = r"""
options:
  engine_cli:
    description: The engine CLI to drive.
    type: str
    default: docker
"""

    RUN_ROOT = r"""
options:
  run_root:
    description:
      - The parent of the run directories.
      - An absolute, normalised path below C(/) (no C(.) or C(..) component, no C(//), no
        trailing C(/)), each component of letters, digits, C(.), C(_) and C(-).
    type: path
    default: /var/lib/sandbox-attest
"""

    RUN_ID = r"""
options:
  run_id:
    description: The run's id, C(YYYYmmddTHHMMSSZ-) and 8 hex digits.
    type: str
    required: true
"""

    IDENTITY = r"""
options:
  identity:
    description: Which identity's run this is, the workload's (uid 65532) or root's (uid 0).
    type: str
    required: true
    choices: [workload, root]
"""

    SECCOMP_PROFILE = r"""
options:
  seccomp_profile:
    description: Which shipped seccomp profile confines the runs.
    type: str
    default: targeted-deny
    choices: [targeted-deny, default-deny]
"""

    # The bounds in brackets are _profile.LIMIT_BOUNDS; a unit test keeps them equal.
    LIMITS = r"""
options:
  limits:
    description: Resource ceilings; each within its bound.
    type: dict
    default: {}
    suboptions:
      pids:
        description: Process ceiling (16-512).
        type: int
      memory_mb:
        description: Memory ceiling in MiB, swap included (32-4096).
        type: int
      cpus_milli:
        description: CPU ceiling in thousandths of a CPU (100-4000).
        type: int
      tmpfs_tmp_mb:
        description: Size of the tmpfs on /tmp in MiB (1-1024).
        type: int
      timeout_s:
        description: Seconds the probe may run before it is killed (5-600).
        type: int
"""
