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

    RUNTIME = r"""
options:
  runtime:
    description:
      - The container runtime O(engine_cli) is, and so the commands, templates and output
        formats used with it. V(podman) is Podman 4.3 rootful (its differences from Docker,
        measured, in C(docs/podman-facts.md)); set O(engine_cli) to the podman CLI as well.
      - The roles and C(sandbox_attest_runtime) offer V(docker) only until the verifier and the
        operator packet know Podman.
    type: str
    default: docker
    choices: [docker, podman]
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

    # What the venue lays out and signs (evidence_seal), as the evidence_bundle action takes it.
    SEAL = r"""
options:
  run:
    description: C(run_id), C(inventory_hostname), C(started_at), C(finished_at),
      C(seccomp_profile), C(image_id) and C(probe_sha256) of the run, and optionally
      C(events_replayed) (M(sandbox.attest.engine_events)' C(replayed)).
    type: dict
    required: true
  venue:
    description: C(fingerprint), C(machine_id_sha256) and C(engine_id), from
      M(sandbox.attest.engine_facts).
    type: dict
    required: true
  facts:
    description: The engine facts, from M(sandbox.attest.engine_facts).
    type: dict
    required: true
  snapshot_before:
    description:
      - The snapshot taken before the run, M(sandbox.attest.engine_snapshot)'s C(snapshot_json)
        (JSON text), or the parsed object.
    type: raw
    required: true
  snapshot_after:
    description: The snapshot taken after the run, as O(snapshot_before).
    type: raw
    required: true
  events:
    description: The scrubbed events of the run window, from M(sandbox.attest.engine_events).
    type: list
    elements: dict
    required: true
  identities:
    description: Per identity, C(identity), C(run) (the M(sandbox.attest.sandbox_run) result)
      and C(output) (the M(sandbox.attest.run_output) result).
    type: list
    elements: dict
    required: true
  host_key:
    description:
      - The venue's pinned public SSH host key, C(<type> <base64>) (the inventory's
        C(sandbox_attest_venue_host_key)). Empty means not pinned - the evidence is unsigned,
        never READY.
    type: str
    default: ""
"""
