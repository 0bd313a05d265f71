# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Is an approved venue's SSH host key really pinned? Decided on the controller, before any
connection, from the options ansible-core's ssh connection will use for the host.

Why it is needed: ansible-runner (AWX's engine) sets ANSIBLE_HOST_KEY_CHECKING=False unless the
job's environment sets it. ansible-core then puts `-o StrictHostKeyChecking=no` on the ssh
command line before the inventory's ssh_common_args, and OpenSSH keeps the first value of an
option (`ssh -G -o StrictHostKeyChecking=no -o StrictHostKeyChecking=yes h` prints `false`):
the inventory's `StrictHostKeyChecking=yes` is silently overridden and an unknown key is
accepted and added. So the check asks OpenSSH itself (`ssh -G`, which prints the effective
configuration and connects nowhere) what the arguments ansible-core will pass amount to, ssh's
own configuration files included, and accepts only `yes`.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass

# The connections an approved venue may be reached over: OpenSSH (the key pinned by
# known_hosts) or the controller itself (no network hop, no host key to pin).
SSH = "ssh"
LOCAL = "local"
# The subsystems ansible-core's ssh connection runs, each with its own extra arguments.
SUBSYSTEMS = ("ssh", "sftp", "scp")
RUNNER_HINT = ("ansible-runner and AWX set ANSIBLE_HOST_KEY_CHECKING=False unless the job's "
               "environment sets it")
FIX = ("set ansible_host_key_checking: true for the approved venues in the inventory (as "
       "inventories/approved_host does), with -o StrictHostKeyChecking=yes and a pinned "
       "UserKnownHostsFile in ansible_ssh_common_args")


class HostKeyError(ValueError):
    """The host key of an approved venue would not be checked against a pin."""


@dataclass(frozen=True)
class Verdict:
    connection: str
    host_key_checking: bool | None
    strict_host_key_checking: str
    known_hosts: str


def ssh_option_argv(options: Mapping[str, object], subsystem: str) -> list[str]:
    """The options ansible-core's ssh connection passes, in its order (ssh.py _build_command):
    ssh_args, then `-o StrictHostKeyChecking=no` when host_key_checking is off, then port and
    user, then ssh_common_args and the subsystem's extra arguments. Only the order of what can
    name StrictHostKeyChecking or UserKnownHostsFile matters; OpenSSH keeps the first value."""
    argv: list[str] = []
    argv += shlex.split(str(options.get("ssh_args") or ""))
    if options.get("host_key_checking") is False:
        argv += ["-o", "StrictHostKeyChecking=no"]
    if options.get("port"):
        argv += ["-o", "Port=%s" % options["port"]]
    if options.get("remote_user"):
        argv += ["-o", "User=%s" % options["remote_user"]]
    argv += shlex.split(str(options.get("ssh_common_args") or ""))
    argv += shlex.split(str(options.get("%s_extra_args" % subsystem) or ""))
    return argv


def effective_config(ssh: str, argv: list[str], host: str,
                     run: Callable[..., subprocess.CompletedProcess] = subprocess.run,
                     ) -> dict[str, str]:
    """OpenSSH's effective configuration for host with these arguments (`ssh -G`: it reads the
    configuration files and prints, it connects nowhere)."""
    try:
        done = run([ssh, "-G", *argv, "--", host], capture_output=True, text=True,
                   timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise HostKeyError("cannot ask OpenSSH (%s -G) for the effective host-key checking: %s"
                           % (ssh, exc)) from exc
    if done.returncode != 0:
        raise HostKeyError("OpenSSH refused the connection's arguments (%s -G): %s"
                           % (ssh, done.stderr.strip() or "exit %d" % done.returncode))
    config: dict[str, str] = {}
    for line in done.stdout.splitlines():
        key, _sep, value = line.partition(" ")
        config.setdefault(key.lower(), value)
    return config


def check(host: str, connection: str, options: Mapping[str, object],
          environ: Mapping[str, str],
          run: Callable[..., subprocess.CompletedProcess] = subprocess.run) -> Verdict:
    """The verdict for an approved venue; HostKeyError naming the cause when its key would not
    be checked against a pin."""
    if connection == LOCAL:
        return Verdict(connection, None, "not applicable: the controller itself", "")
    if connection != SSH:
        raise HostKeyError(
            "approved venue %s is reached over the %r connection: only ssh (host key pinned in "
            "known_hosts) or local (the controller itself) is accepted for an approved venue"
            % (host, connection))
    checking = options.get("host_key_checking")
    if checking is False:
        env = environ.get("ANSIBLE_HOST_KEY_CHECKING", environ.get("ANSIBLE_SSH_HOST_KEY_CHECKING"))
        source = ("ANSIBLE_HOST_KEY_CHECKING=%s is in the environment (%s)" % (env, RUNNER_HINT)
                  if env is not None else "host_key_checking is false in the configuration")
        raise HostKeyError(
            "host-key checking is off for approved venue %s: %s, so ansible-core passes "
            "-o StrictHostKeyChecking=no before the inventory's ssh_common_args and OpenSSH "
            "keeps that first value - an unknown host key would be accepted and added. %s"
            % (host, source, FIX))
    ssh = str(options.get("ssh_executable") or "ssh")
    address = str(options.get("host") or host)
    strict = known = ""
    for subsystem in SUBSYSTEMS:
        config = effective_config(ssh, ssh_option_argv(options, subsystem), address, run)
        strict = config.get("stricthostkeychecking", "")
        known = config.get("userknownhostsfile", "")
        if strict != "true":
            raise HostKeyError(
                "host-key checking is not strict for approved venue %s: OpenSSH's effective "
                "StrictHostKeyChecking for its %s connection is %r (%s -G with the connection's "
                "arguments), so a key that is not pinned would be %s. %s"
                % (host, subsystem, strict or "unset", ssh,
                   "asked about" if strict == "ask" else "accepted", FIX))
    return Verdict(connection, checking is not False, strict, known)
