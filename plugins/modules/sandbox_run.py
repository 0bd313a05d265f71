#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: sandbox_run
short_description: Run the probe once in a hardened, throwaway container and capture the evidence
version_added: 0.1.0
description:
  - Prepares this run's directory for one identity (root-owned 0700 run directory; C(in/)
    read-only input, C(out/) owned by the identity), writes the empty environment file and the
    shipped seccomp profile, then drives the engine CLI with an argv built from the hardened
    profile (no shell) - create with a unique name and this run's labels, start, wait within
    a time bound (kill when it is exceeded), read the probe's output, capture the inspect
    document, remove.
  - Only the container this task created is ever started, killed or removed; a name conflict
    fails the task instead of reusing or recreating anything.
  - Nothing here loosens the profile; only the limits may be tuned, within bounds.
  - In check mode nothing is created; the exact commands are returned as the plan.
  - With O(identities), the identities run one after another in this one task, and after each
    run its C(out/) is read back as M(sandbox.attest.run_output) reads it (its defaults) - one
    call to the target for a whole phase instead of one per identity and per read (each module
    call costs a round trip and an interpreter start). The first failing run stops the rest.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  image_id:
    description: The probe image ID, C(sha256:) and 64 hex.
    type: str
    required: true
  identity:
    description:
      - Which identity's run this is, the workload's (uid 65532) or root's (uid 0).
      - Exactly one of O(identity) and O(identities) is given.
    type: str
    choices: [workload, root]
  identities:
    description:
      - The identities to run, in this order, each followed by the read of its C(out/); the
        result is then RV(runs).
      - Exactly one of O(identity) and O(identities) is given.
    type: list
    elements: str
    choices: [workload, root]
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
  - sandbox.attest.options.run_root
  - sandbox.attest.options.run_id
  - sandbox.attest.options.seccomp_profile
  - sandbox.attest.options.limits
"""

EXAMPLES = r"""
- name: Run the probe set as the workload identity
  sandbox.attest.sandbox_run:
    run_id: 20261128T223131Z-1a2b3c4d
    identity: workload
    image_id: "{{ probe.image_id }}"
  register: workload_run
"""

RETURN = r"""
runs:
  description:
    - With O(identities), per identity in order, C(identity), C(run) (what this module returns
      for O(identity), below) and C(output) (what M(sandbox.attest.run_output) returns,
      C(copied) and C(refused); both empty in check mode). When a run fails, the task fails
      with the runs so far, the failed one last.
    - The fields below are then not returned at the top level.
  returned: with O(identities)
  type: list
  elements: dict
argv:
  description: The exact C(docker create) argv.
  returned: always
  type: list
  elements: str
commands:
  description: Every engine command that ran (or, in check mode, would run), in order.
  returned: always
  type: list
  elements: list
container_id:
  description: The ID of the container this task created.
  returned: when created
  type: str
container_name:
  description: Its name.
  returned: always
  type: str
exit_code:
  description: The probe's exit code.
  returned: when it ran
  type: int
timed_out:
  description: Whether the time bound was exceeded and the container killed.
  returned: when it ran
  type: bool
stdout:
  description: The probe's standard output (at most 1 MiB).
  returned: when it ran
  type: str
stderr:
  description: The probe's standard error (at most 64 KiB).
  returned: when it ran
  type: str
inspect:
  description: The inspect document, captured before removal.
  returned: when it ran
  type: list
oci_spec:
  description:
    - Podman only - the OCI spec the engine gave the OCI runtime (its C(OCIConfigPath)), read
      before removal; it holds what C(podman inspect) leaves out (the seccomp filter, masked and
      read-only paths, capabilities, rlimits, namespaces).
  returned: when it ran under Podman
  type: dict
removed:
  description: Whether the container is gone at the end.
  returned: always
  type: bool
profile:
  description: The profile document (profile/profile.json of the bundle).
  returned: always
  type: dict
seccomp_json:
  description: The seccomp profile, canonical JSON, as written for the engine.
  returned: always
  type: str
seccomp_sha256:
  description: The sha256 of O(seccomp_profile)'s canonical JSON.
  returned: always
  type: str
run_dir:
  description: This run's directory on the target.
  returned: always
  type: str
out_owner:
  description:
    - The host uid and gid that own this identity's C(out/) - the identity's own ids, or under
      the engine's C(--userns-remap) the host ids the engine maps them to (from its facts).
  returned: always
  type: dict
  sample: {uid: 231068, gid: 231068}
started_at:
  description: UTC time the container was started.
  returned: when it ran
  type: str
finished_at:
  description: UTC time the container was removed.
  returned: when it ran
  type: str
"""

import os

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    FETCH_MAX_BYTES,
    FETCH_MAX_ENTRIES,
    FETCH_NAME,
)
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError
from ansible_collections.sandbox.attest.plugins.module_utils._facts import FactsError
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    LIMITS,
    RUN_ID,
    RUN_ROOT,
    RUNTIME,
    SECCOMP_PROFILE,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    IDENTITIES,
    ProfileError,
    check_run_id,
    resolve_limits,
)
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    check_run_root,
    out_owner,
    prepare,
    run_dir_of,
)
from ansible_collections.sandbox.attest.plugins.module_utils._safe_read import (
    SafeReadError,
    read_out_dir,
)
from ansible_collections.sandbox.attest.plugins.module_utils._sandbox_run import (
    PLACEHOLDER,
    Run,
    check_image_id,
    engine_remap,
    follow_up,
    run_files,
    run_plan,
)


class RunFailed(Exception):
    """A run failed; `result` is what it gathered."""

    def __init__(self, message: str, result: dict) -> None:
        super().__init__(message)
        self.result = result


def run_identity(module: AnsibleModule, identity: str, run_root: str, limits: dict,
                 remap) -> dict:
    """One identity's run, as the module returns it for `identity`."""
    p = module.params
    owner = out_owner(identity, remap)
    argv, seccomp_text, common = run_plan(
        p["engine_cli"], p["run_id"], identity, p["image_id"], run_root,
        p["seccomp_profile"], limits, owner, p["runtime"])
    if module.check_mode:
        return dict(changed=True, removed=True,
                    commands=[argv, *follow_up(p["engine_cli"], PLACEHOLDER)], **common)
    run = Run(p["engine_cli"], limits["timeout_s"], p["runtime"])
    try:
        prepare(run_root, p["run_id"], identity,
                run_files(p["seccomp_profile"], seccomp_text), remap=remap)
        run.execute(argv)
    except (EngineError, RunDirError, OSError, ValueError) as exc:
        raise RunFailed("the %s run failed: %s" % (identity, exc),
                        dict(commands=run.commands, **run.result, **common)) from exc
    return dict(changed=True, commands=run.commands, **run.result, **common)


def read_output(run_root: str, run_id: str, identity: str) -> dict:
    """The identity's out/, as run_output returns it with its defaults (the bundle format's
    one output name and bounds)."""
    out_dir = os.path.join(run_dir_of(run_root, run_id), identity, "out")
    return read_out_dir(out_dir, (FETCH_NAME,), FETCH_MAX_BYTES, FETCH_MAX_ENTRIES)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            RUN_ID, RUN_ROOT, SECCOMP_PROFILE, LIMITS, ENGINE_CLI, RUNTIME,
            image_id=dict(type="str", required=True),
            identity=dict(type="str", choices=list(IDENTITIES)),
            identities=dict(type="list", elements="str", choices=list(IDENTITIES)),
        ),
        mutually_exclusive=[("identity", "identities")],
        required_one_of=[("identity", "identities")],
        supports_check_mode=True,
    )
    p = module.params
    try:
        check_run_id(p["run_id"])
        run_root = check_run_root(p["run_root"])
        limits = resolve_limits({k: v for k, v in (p["limits"] or {}).items() if v is not None})
    except (ProfileError, RunDirError) as exc:
        module.fail_json(msg=str(exc))
    refusal = check_image_id(p["image_id"])
    if refusal:
        module.fail_json(msg=refusal)
    try:
        remap = engine_remap(p["engine_cli"], p["runtime"])
        for identity in p["identities"] or [p["identity"]]:
            out_owner(identity, remap)
    except (EngineError, FactsError, RunDirError) as exc:
        module.fail_json(msg="cannot tell who must own the run's out/: %s" % exc)
    if p["identity"]:
        try:
            module.exit_json(**run_identity(module, p["identity"], run_root, limits, remap))
        except RunFailed as exc:
            module.fail_json(msg=str(exc), **exc.result)
    runs: list[dict] = []
    for identity in p["identities"]:
        try:
            run = run_identity(module, identity, run_root, limits, remap)
        except RunFailed as exc:
            runs.append({"identity": identity, "run": exc.result,
                         "output": {"copied": [], "refused": []}})
            module.fail_json(msg=str(exc), runs=runs)
        output = {"copied": [], "refused": []}
        if not module.check_mode:
            try:
                output = read_output(run_root, p["run_id"], identity)
            except (RunDirError, SafeReadError) as exc:
                runs.append({"identity": identity, "run": run, "output": output})
                module.fail_json(msg="reading the %s run's out/ failed: %s" % (identity, exc),
                                 runs=runs)
        runs.append({"identity": identity, "run": run, "output": output})
    module.exit_json(changed=True, runs=runs)


if __name__ == "__main__":
    main()
