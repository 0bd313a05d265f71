# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""On SIGINT, remove exactly what this play's runs created, then exit as Ansible does.

Ansible answers SIGINT by stopping its workers and raising KeyboardInterrupt in the main
process; block/always never runs, so an interrupted attestation would leave its run directory
(and, over SSH, its container until the time bound) behind. This callback wraps that handler:
after Ansible has stopped its workers, it runs playbooks/cleanup.yml for the run ids this play
recorded, and nothing else, then lets the interrupt go on.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: interrupt_cleanup
type: aggregate
short_description: Remove what an interrupted attestation created
version_added: 0.1.0
description:
  - Records, for each host, the run id the preflight role publishes in C(preflight_result)
    (before anything of the run is created). When the play is interrupted with SIGINT
    (Ctrl-C), it runs C(playbooks/cleanup.yml) of this collection limited to those hosts and
    run ids, with the same inventories, extra variables and connection options, before
    Ansible exits. Objects without one of those run ids are never touched.
  - SIGKILL cannot be caught; the next attestation then reports the leftovers and
    C(playbooks/cleanup.yml) removes them.
requirements:
  - enable it with C(callbacks_enabled = sandbox.attest.interrupt_cleanup) in ansible.cfg
"""

import json
import os
import signal
import subprocess
import sys
import tempfile

from ansible import context
from ansible.plugins.callback import CallbackBase

CLEANUP_PLAYBOOK = os.path.normpath(
    os.path.join(os.path.dirname(__file__), "..", "..", "playbooks", "cleanup.yml"))
# The preflight role's documented hand-off; it is set before anything of the run is created.
RUN_ID_FACT = "preflight_result"
CLEANUP_TIMEOUT_S = 300


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "sandbox.attest.interrupt_cleanup"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._run_ids: dict[str, str] = {}
        self._previous = None

    def v2_playbook_on_start(self, playbook) -> None:
        previous = signal.getsignal(signal.SIGINT)
        if previous is not self._on_interrupt:
            self._previous = previous
            signal.signal(signal.SIGINT, self._on_interrupt)

    def v2_runner_on_ok(self, result) -> None:
        facts = result._result.get("ansible_facts") or {}
        published = facts.get(RUN_ID_FACT)
        if isinstance(published, dict) and isinstance(published.get("run_id"), str):
            self._run_ids[result._host.get_name()] = published["run_id"]

    def _on_interrupt(self, signum: int, frame) -> None:
        previous = self._previous
        try:
            if callable(previous):
                previous(signum, frame)  # Ansible stops its workers, then raises
            raise KeyboardInterrupt
        except KeyboardInterrupt:
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # let the cleanup finish
            try:
                self._cleanup()
            finally:
                signal.signal(signal.SIGINT, signal.SIG_DFL)
            raise

    def _cleanup(self) -> None:
        if not self._run_ids or context.CLIARGS.get("check"):
            return
        sys.stderr.write("sandbox.attest: interrupted; removing what run(s) %s created\n"
                         % ", ".join("%s on %s" % (r, h) for h, r in sorted(self._run_ids.items())))
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            json.dump({"sandbox_attest_cleanup_run_ids": self._run_ids}, handle)
        try:
            proc = subprocess.run(self._argv(handle.name), start_new_session=True,
                                  capture_output=True, text=True, timeout=CLEANUP_TIMEOUT_S,
                                  check=False)
            tail = (proc.stdout + proc.stderr).strip().splitlines()[-3:]
            sys.stderr.write("sandbox.attest: cleanup %s\n%s\n" % (
                "done" if proc.returncode == 0 else "FAILED (rc=%d); run "
                "playbooks/cleanup.yml" % proc.returncode, "\n".join(tail)))
        except (OSError, subprocess.TimeoutExpired) as exc:
            sys.stderr.write("sandbox.attest: cleanup FAILED (%s); run playbooks/cleanup.yml\n"
                             % exc)
        finally:
            os.unlink(handle.name)

    def _argv(self, vars_file: str) -> list[str]:
        args = context.CLIARGS
        playbook_cli = os.path.join(os.path.dirname(os.path.abspath(sys.argv[0])),
                                    "ansible-playbook")
        argv = [playbook_cli, CLEANUP_PLAYBOOK, "--limit", ",".join(sorted(self._run_ids))]
        for inventory in args.get("inventory") or ():
            argv += ["-i", inventory]
        for extra in args.get("extra_vars") or ():
            argv += ["-e", extra]
        argv += ["-e", "@%s" % vars_file]
        for option, flag in (("remote_user", "-u"), ("private_key_file", "--private-key"),
                             ("connection", "-c"), ("become_method", "--become-method"),
                             ("become_user", "--become-user")):
            if args.get(option):
                argv += [flag, str(args[option])]
        if args.get("become"):
            argv.append("--become")
        return argv
