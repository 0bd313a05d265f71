# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""One identity's run of the probe set in a throwaway container, as sandbox_run drives it.

The argv comes from the hardened profile (_profile.create_argv); this part plans the run from
the module's parameters and drives the container's life, recording every engine command so the
evidence says what ran.
"""

from __future__ import annotations

import json
import subprocess

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    STDERR_CAP,
    STDOUT_CAP,
)
from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    CliResult,
    EngineError,
    run_cli,
    utc_now,
)
from ansible_collections.sandbox.attest.plugins.module_utils._facts import (
    FACTS_TEMPLATE,
    userns_remap,
)
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text
from ansible_collections.sandbox.attest.plugins.module_utils._oci_spec import read_spec, spec_path
from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    container_name,
    create_argv,
    profile_document,
    run_paths,
)
from ansible_collections.sandbox.attest.plugins.module_utils._seccomp import (
    seccomp_digest,
    seccomp_profile,
)

PLACEHOLDER = "<container-id>"


def check_image_id(image_id: str) -> str | None:
    """The refusal message for an image ID that is not sha256: and 64 characters, else None."""
    if not image_id.startswith("sha256:") or len(image_id) != 71:
        return "image_id must be sha256: and 64 hex, got %r" % image_id
    return None


def engine_remap(engine_cli: str, runtime: str = "docker") -> dict | None:
    """The engine's userns remap (None without one), read from the engine itself with the
    facts template, so the run directory follows the engine actually running the probe.
    Podman has no daemon-wide remap: a container gets a user namespace when its argv asks for
    one (--userns, --uidmap), which the profile's does not, or when containers.conf sets a
    default `userns`, which the test hosts do not (measured: the probe's out/ok is 65532's on
    the host). On a host whose containers.conf does, the identity's out/ is not its own, the
    probe cannot write it and PR-FS-OUT-OK fails: never a false PASS. Reading that default
    before the run is left for when the settings offer Podman (issue 18)."""
    if runtime == "podman":
        return None
    info = run_cli([engine_cli, "info", "--format", FACTS_TEMPLATE])
    try:
        facts = json.loads(info.stdout)
    except ValueError as exc:
        raise EngineError("the engine's info is not readable: %s" % exc) from exc
    if not isinstance(facts, dict):
        raise EngineError("the engine's info is not a JSON object")
    return userns_remap(facts)


def follow_up(engine_cli: str, ref: str) -> list[list[str]]:
    """The commands after create, as check mode shows them for a container not made."""
    return [
        [engine_cli, "start", ref],
        [engine_cli, "wait", ref],
        [engine_cli, "logs", ref],
        [engine_cli, "inspect", ref],
        [engine_cli, "rm", "--force", "--volumes", ref],
    ]


def run_plan(engine_cli: str, run_id: str, identity: str, image_id: str, run_root: str,
             seccomp_name: str, limits: dict[str, int], out_ids: tuple[int, int],
             runtime: str = "docker") -> tuple[list[str], str, dict]:
    """(create argv, the seccomp profile's canonical JSON, what every result carries)."""
    paths = run_paths(run_root, run_id, identity, seccomp_name)
    argv = create_argv(engine_cli, run_id, identity, image_id, paths, limits, runtime=runtime)
    seccomp_text = canonical_text(seccomp_profile(seccomp_name))
    common = dict(argv=argv, container_name=container_name(run_id, identity),
                  profile=profile_document(seccomp_name, limits, runtime=runtime),
                  seccomp_json=seccomp_text, run_dir=paths["run_dir"],
                  out_owner={"uid": out_ids[0], "gid": out_ids[1]},
                  seccomp_sha256=seccomp_digest(seccomp_name))
    return argv, seccomp_text, common


def run_files(seccomp_name: str, seccomp_text: str) -> dict[str, bytes]:
    """The files the run directory holds for the engine: the empty environment and the profile."""
    return {
        "empty.env": b"",
        "seccomp-%s.json" % seccomp_name: seccomp_text.encode("ascii"),
    }


def recorded_commands(argv: list[str], container_id: str, timed_out: bool) -> list[list[str]]:
    """What Run records for one identity, and the packet's run_identity too, in order: create,
    start, wait (a timed-out probe is killed and waited for again), logs, inspect, forced
    removal and the check that the container is gone. The verifier recomputes the list from
    this (findings/_run_records.py); tests/unit hold Run to it."""
    cli = argv[0]
    commands = [list(argv), [cli, "start", container_id], [cli, "wait", container_id]]
    if timed_out:
        commands.extend([[cli, "kill", container_id], [cli, "wait", container_id]])
    commands.extend([[cli, "logs", container_id], [cli, "inspect", container_id],
                     [cli, "rm", "--force", "--volumes", container_id],
                     [cli, "container", "inspect", "--format", "{{.Id}}", container_id]])
    return commands


class Run:
    """One container's life; records every command so the evidence says what ran."""

    def __init__(self, engine_cli: str, timeout_s: int, runtime: str = "docker") -> None:
        self.engine_cli = engine_cli
        self.timeout_s = timeout_s
        self.runtime = runtime
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
            if self.runtime == "podman":
                # Gone with the container: read now (a file read, not an engine command).
                self.result["oci_spec"] = read_spec(spec_path(self.result["inspect"], cid))
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
