#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: engine_facts
short_description: Read the container engine's facts and the venue fingerprint, read-only
version_added: 0.1.0
description:
  - Asks the engine CLI for selected facts (engine ID, versions, kernel, OS, security options,
    cgroup driver and version, runtimes, log driver) and computes the venue fingerprint, the
    sha256 of C(/etc/machine-id) and the engine ID. The machine-id itself is never returned.
  - Runs the preflight checks that need the target, each reported with a message; the caller
    decides whether a failed check stops the run.
  - With O(snapshot), it also takes the engine's digest-only snapshot and reports the
    leftovers of earlier runs, as M(sandbox.attest.engine_snapshot) does - preflight's facts,
    checks and before-snapshot in one call to the target. The snapshot is taken only when every
    check passed and the fingerprint is the one O(pinned_fingerprint) names (when given); a
    host the run will refuse is not read further.
  - Changes nothing; supports check mode.
  - With O(runtime=docker) it reads C(docker info) through the collection's one template and
    the daemon's API version. With O(runtime=podman) it reads C(podman info --format json) and
    C(podman version). Podman has no engine ID, so C(facts.engine_id) is C(podman:) and the
    store's graph root, and the fingerprint is computed over that (weaker than Docker's; see
    C(docs/podman-facts.md)). Podman's API version is libpod's own (its release), so
    O(min_api_version) does not bound it meaningfully.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  min_api_version:
    description: The lowest engine API version accepted.
    type: str
    default: "1.41"
  min_free_mb:
    description:
      - Free space, in MiB, required in the filesystem of O(run_root) (or of its nearest
        existing parent).
    type: int
    default: 64
  machine_id_path:
    description: Where the host's machine-id is read.
    type: path
    default: /etc/machine-id
  snapshot:
    description: Also take the before-snapshot (RV(snapshot_json), RV(leftovers)).
    type: bool
    default: false
  current_run_id:
    description: With O(snapshot), the run in progress; its own objects are not leftovers.
    type: str
  pinned_fingerprint:
    description:
      - With O(snapshot), the venue's pinned fingerprint; when given and not the observed one,
        no snapshot is taken (the caller refuses the host).
    type: str
    default: ""
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
  - sandbox.attest.options.run_root
notes:
  - The target needs only the engine, its CLI and Python 3.
"""

EXAMPLES = r"""
- name: Read engine facts and the venue fingerprint
  sandbox.attest.engine_facts:
  register: engine
"""

RETURN = r"""
facts:
  description: Selected engine facts, as the bundle's C(engine/facts.json) holds them.
  returned: success
  type: dict
  sample: {"engine_id": "JPSI:WENE", "server_version": "20.10.24", "cgroup_version": "1"}
fingerprint:
  description:
    - The venue fingerprint, C(sha256:) and the hex of sha256(sha256(machine-id) LF engine-id LF)
      (the machine-id's digest in lower-case hex).
  returned: success
  type: str
  sample: sha256:3f2a...
machine_id_sha256:
  description: The sha256 of the machine-id (hex); the machine-id itself is never returned.
  returned: success
  type: str
  sample: 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08
checks:
  description: The preflight checks, each with C(name), C(ok) and C(message).
  returned: success
  type: list
  elements: dict
checks_failed:
  description: The messages of the checks that failed.
  returned: success
  type: list
  elements: str
snapshot_json:
  description:
    - With O(snapshot), the snapshot as M(sandbox.attest.engine_snapshot) returns it (canonical
      JSON text).
  returned: when a snapshot was taken
  type: str
leftovers:
  description: With O(snapshot), as M(sandbox.attest.engine_snapshot) returns them.
  returned: when a snapshot was taken
  type: list
  elements: dict
leftover_run_ids:
  description: With O(snapshot), the run ids those leftovers belong to.
  returned: when a snapshot was taken
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    engine_answers,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._facts import (
    FACTS_TEMPLATE,
    PODMAN_INFO_ARGS,
    FactsError,
    preflight_checks,
    select_facts,
    select_podman_facts,
    venue_identity,
)
from ansible_collections.sandbox.attest.plugins.module_utils._leftovers import (
    snapshot_with_leftovers,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    RUN_ROOT,
    RUNTIME,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    ProfileError,
    check_run_root,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            ENGINE_CLI, RUNTIME, RUN_ROOT,
            min_api_version=dict(type="str", default="1.41"),
            min_free_mb=dict(type="int", default=64),
            machine_id_path=dict(type="path", default="/etc/machine-id"),
            snapshot=dict(type="bool", default=False),
            current_run_id=dict(type="str"),
            pinned_fingerprint=dict(type="str", default=""),
        ),
        supports_check_mode=True,
    )
    params = module.params
    try:
        check_run_root(params["run_root"])
    except ProfileError as exc:
        module.fail_json(msg=str(exc))
    try:
        api_version = engine_answers(params["engine_cli"], runtime=params["runtime"])
        if params["runtime"] == "podman":
            info = run_cli([params["engine_cli"], *PODMAN_INFO_ARGS]).stdout
            facts = select_podman_facts(info, api_version)
        else:
            info = run_cli([params["engine_cli"], "info", "--format", FACTS_TEMPLATE]).stdout
            facts = select_facts(info, api_version)
        fingerprint, machine_sha256 = venue_identity(params["machine_id_path"],
                                                     facts["engine_id"])
    except (EngineError, FactsError) as exc:
        module.fail_json(msg=str(exc))
    checks = preflight_checks(facts, params["run_root"], params["min_api_version"],
                              params["min_free_mb"])
    failed = [c["message"] for c in checks if not c["ok"]]
    snapshot = {}
    pin = params["pinned_fingerprint"]
    if params["snapshot"] and not failed and (not pin or pin == fingerprint):
        try:
            snapshot = snapshot_with_leftovers(params["engine_cli"], params["runtime"],
                                               params["run_root"], params["current_run_id"])
        except EngineError as exc:
            module.fail_json(msg="snapshot failed: %s" % exc)
    module.exit_json(
        changed=False, facts=facts, fingerprint=fingerprint, machine_id_sha256=machine_sha256,
        checks=checks, checks_failed=failed, **snapshot)


if __name__ == "__main__":
    main()
