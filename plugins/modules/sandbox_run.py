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
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  run_id:
    description: This run's id, C(YYYYmmddTHHMMSSZ-) and 8 hex digits.
    type: str
    required: true
  identity:
    description: Which identity runs the probe set (uid 65532 or uid 0).
    type: str
    required: true
    choices: [workload, root]
  image_id:
    description: The probe image ID, C(sha256:) and 64 hex.
    type: str
    required: true
  run_root:
    description: The parent of the run directories.
    type: path
    default: /var/lib/sandbox-attest
  seccomp_profile:
    description: Which shipped seccomp profile confines the run.
    type: str
    default: targeted-deny
    choices: [targeted-deny, default-deny]
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
  engine_cli:
    description: The engine CLI to drive.
    type: str
    default: docker
extends_documentation_fragment:
  - sandbox.attest.attributes
attributes:
  check_mode:
    support: full
  diff_mode:
    support: none
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

import datetime
import json
import subprocess

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    CliResult,
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._facts import (
    FACTS_TEMPLATE,
    FactsError,
    userns_remap,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    ProfileError,
    check_run_id,
    container_name,
    create_argv,
    profile_document,
    resolve_limits,
    run_paths,
)
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    check_run_root,
    out_owner,
    prepare,
)
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    canonical_json,
    seccomp_digest,
    seccomp_profile,
)

STDOUT_CAP = 1024 * 1024
STDERR_CAP = 64 * 1024
PLACEHOLDER = "<container-id>"


def utc_now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def engine_remap(engine_cli: str) -> dict | None:
    """The engine's userns remap (None without one), read from the engine itself with the
    facts template, so the run directory follows the engine actually running the probe."""
    info = run_cli([engine_cli, "info", "--format", FACTS_TEMPLATE])
    try:
        facts = json.loads(info.stdout)
    except ValueError as exc:
        raise EngineError("the engine's info is not readable: %s" % exc) from exc
    if not isinstance(facts, dict):
        raise EngineError("the engine's info is not a JSON object")
    return userns_remap(facts)


def follow_up(engine_cli: str, ref: str) -> list[list[str]]:
    return [
        [engine_cli, "start", ref],
        [engine_cli, "wait", ref],
        [engine_cli, "logs", ref],
        [engine_cli, "inspect", ref],
        [engine_cli, "rm", "--force", "--volumes", ref],
    ]


class Run:
    """One container's life; records every command so the evidence says what ran."""

    def __init__(self, engine_cli: str, timeout_s: int) -> None:
        self.engine_cli = engine_cli
        self.timeout_s = timeout_s
        self.commands: list[list[str]] = []
        self.result: dict = {"removed": True}

    def cli(self, argv: list[str], timeout: float = 60, check: bool = True) -> CliResult:
        self.commands.append(list(argv))
        return run_cli(argv, timeout=timeout, check=check)

    def execute(self, argv: list[str]) -> None:
        created = self.cli(argv)
        cid = created.stdout.strip().splitlines()[-1]
        self.result.update(container_id=cid, removed=False)
        try:
            self.result["started_at"] = utc_now()
            self.cli([self.engine_cli, "start", cid])
            self.wait(cid)
            logs = self.cli([self.engine_cli, "logs", cid])
            self.result["stdout"] = logs.stdout[:STDOUT_CAP]
            self.result["stderr"] = logs.stderr[:STDERR_CAP]
            inspected = self.cli([self.engine_cli, "inspect", cid])
            self.result["inspect"] = json.loads(inspected.stdout)
        finally:
            self.remove(cid)
            self.result["finished_at"] = utc_now()

    def wait(self, cid: str) -> None:
        argv = [self.engine_cli, "wait", cid]
        self.commands.append(argv)
        try:
            proc = subprocess.run(argv, capture_output=True, timeout=self.timeout_s,
                                  check=False)
            self.result["timed_out"] = False
            self.result["exit_code"] = int(proc.stdout.decode().strip().splitlines()[-1])
        except subprocess.TimeoutExpired:
            # The bound is the evidence: kill, record, and let the verifier say NOT READY.
            self.result["timed_out"] = True
            self.cli([self.engine_cli, "kill", cid], check=False)
            waited = self.cli([self.engine_cli, "wait", cid], timeout=30, check=False)
            code = waited.stdout.strip().splitlines()
            self.result["exit_code"] = int(code[-1]) if code and code[-1].isdigit() else -1
        except (ValueError, IndexError) as exc:
            raise EngineError("docker wait printed no exit code") from exc

    def remove(self, cid: str) -> None:
        removed = self.cli([self.engine_cli, "rm", "--force", "--volumes", cid], check=False)
        gone = self.cli([self.engine_cli, "container", "inspect", "--format", "{{.Id}}", cid],
                        check=False)
        self.result["removed"] = gone.rc != 0
        if not self.result["removed"]:
            raise EngineError("could not remove container %s: %s" % (cid, removed.stderr))


def main() -> None:
    module = AnsibleModule(
        argument_spec=dict(
            run_id=dict(type="str", required=True),
            identity=dict(type="str", required=True, choices=["workload", "root"]),
            image_id=dict(type="str", required=True),
            run_root=dict(type="path", default="/var/lib/sandbox-attest"),
            seccomp_profile=dict(type="str", default="targeted-deny",
                                 choices=["targeted-deny", "default-deny"]),
            limits=dict(type="dict", default={}, options=dict(
                pids=dict(type="int"), memory_mb=dict(type="int"),
                cpus_milli=dict(type="int"), tmpfs_tmp_mb=dict(type="int"),
                timeout_s=dict(type="int"))),
            engine_cli=dict(type="str", default="docker"),
        ),
        supports_check_mode=True,
    )
    p = module.params
    try:
        check_run_id(p["run_id"])
        run_root = check_run_root(p["run_root"])
        limits = resolve_limits({k: v for k, v in (p["limits"] or {}).items() if v is not None})
    except (ProfileError, RunDirError) as exc:
        module.fail_json(msg=str(exc))
    if not p["image_id"].startswith("sha256:") or len(p["image_id"]) != 71:
        module.fail_json(msg="image_id must be sha256: and 64 hex, got %r" % p["image_id"])
    try:
        remap = engine_remap(p["engine_cli"])
        owner_uid, owner_gid = out_owner(p["identity"], remap)
    except (EngineError, FactsError, RunDirError) as exc:
        module.fail_json(msg="cannot tell who must own the run's out/: %s" % exc)
    paths = run_paths(run_root, p["run_id"], p["identity"], p["seccomp_profile"])
    argv = create_argv(p["engine_cli"], p["run_id"], p["identity"], p["image_id"], paths, limits)
    seccomp_text = canonical_json(seccomp_profile(p["seccomp_profile"]))
    common = dict(argv=argv, container_name=container_name(p["run_id"], p["identity"]),
                  profile=profile_document(p["seccomp_profile"], limits),
                  seccomp_json=seccomp_text, run_dir=paths["run_dir"],
                  out_owner={"uid": owner_uid, "gid": owner_gid},
                  seccomp_sha256=seccomp_digest(p["seccomp_profile"]))
    if module.check_mode:
        module.exit_json(changed=True, removed=True,
                         commands=[argv, *follow_up(p["engine_cli"], PLACEHOLDER)], **common)
    run = Run(p["engine_cli"], limits["timeout_s"])
    try:
        prepare(run_root, p["run_id"], p["identity"], {
            "empty.env": b"",
            "seccomp-%s.json" % p["seccomp_profile"]: seccomp_text.encode("ascii"),
        }, remap=remap)
        run.execute(argv)
    except (EngineError, RunDirError, OSError, ValueError) as exc:
        module.fail_json(msg="the %s run failed: %s" % (p["identity"], exc),
                         commands=run.commands, **run.result, **common)
    module.exit_json(changed=True, commands=run.commands, **run.result, **common)


if __name__ == "__main__":
    main()
