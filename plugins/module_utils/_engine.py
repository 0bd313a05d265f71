# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Drive the engine CLI on the target: argv lists only (no shell), every call time-bounded.

The target needs its engine and the engine's CLI, nothing from pip: the argv a module runs is
exactly the argv it records.
"""

from __future__ import annotations

import datetime
import os
import subprocess
from dataclasses import dataclass

DEFAULT_TIMEOUT_S = 60


class EngineError(RuntimeError):
    """The engine CLI failed, timed out or answered something unreadable."""


# The seed's class for a host whose runtime is not there to use: its CLI is absent, or its
# engine does not answer (a stopped daemon). Preflight refuses such a host before anything is
# created, and nothing here ever installs or starts a runtime.
MISSING_RUNTIME = "missing runtime"


class MissingRuntime(EngineError):
    """The chosen runtime is not usable on the target; the message starts with its class."""

    def __init__(self, why: str) -> None:
        super().__init__("%s: %s" % (MISSING_RUNTIME, why))


@dataclass(frozen=True)
class CliResult:
    argv: list[str]
    rc: int
    stdout: str
    stderr: str


# The one timestamp format of the collection (RFC 3339, UTC, whole seconds): runs, snapshots,
# bundles, verdicts; the packet script's `date -u +%Y-%m-%dT%H:%M:%SZ` and the roles'
# `now(utc=true, fmt=...)` write the same. Sub-second order, where it matters, is kept in ns
# (a snapshot's started_ns/finished_ns, events' time_nano).
TIME_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_now() -> str:
    """The clock of the host this runs on, in TIME_FORMAT."""
    return datetime.datetime.now(datetime.timezone.utc).strftime(TIME_FORMAT)


def run_cli(argv: list[str], timeout: float = DEFAULT_TIMEOUT_S, check: bool = True,
            stdin: bytes | None = None) -> CliResult:
    try:
        proc = subprocess.run(  # argv list, never a shell
            argv, input=stdin, capture_output=True, timeout=timeout, check=False)
    except FileNotFoundError as exc:
        raise MissingRuntime("engine CLI %r not found on the target (nothing installs one): %s"
                             % (argv[0], exc)) from exc
    except subprocess.TimeoutExpired as exc:
        raise EngineError("%s timed out after %ss" % (" ".join(argv[:3]), timeout)) from exc
    result = CliResult(
        argv=list(argv),
        rc=proc.returncode,
        stdout=proc.stdout.decode("utf-8", "replace"),
        stderr=proc.stderr.decode("utf-8", "replace"),
    )
    if check and result.rc != 0:
        raise EngineError("%s failed (rc=%d): %s" % (
            " ".join(argv[:3]), result.rc, result.stderr.strip()[:2000]))
    return result


# What asks each runtime whether it answers, and for its API version. Docker: the daemon's
# (`.Server`). Podman has no daemon: `podman version` prints its own libpod API version
# (4.3.1 on the Podman test host; `{{.Server...}}` and `{{.Client...}}` are refused there) and
# opens the store first, so a store it cannot use fails it too (measured: a driver other than
# the store's -> rc 125, `database configuration mismatch`): that is Podman's "does not
# answer", the same "missing runtime" class.
VERSION_FORMATS = {"docker": "{{.Server.APIVersion}}", "podman": "{{.APIVersion}}"}


def engine_answers(engine_cli: str, timeout: float = 20, runtime: str = "docker") -> str:
    """The server API version, or EngineError naming why the engine does not answer."""
    if runtime not in VERSION_FORMATS:
        raise EngineError("unknown runtime %r (known: %s)"
                          % (runtime, ", ".join(sorted(VERSION_FORMATS))))
    result = run_cli([engine_cli, "version", "--format", VERSION_FORMATS[runtime]],
                     timeout=timeout, check=False)
    if result.rc != 0 and "permission denied" in result.stderr.lower():
        raise EngineError(
            "the user this task runs as (uid %d, after become) may not use the engine %r: %s"
            % (os.getuid(), engine_cli, result.stderr.strip()[:2000]))
    if result.rc != 0 or not result.stdout.strip():
        why = result.stderr.strip()[:2000] or "no server version"
        raise MissingRuntime("the engine does not answer %r: %s" % (engine_cli, why))
    return result.stdout.strip()
