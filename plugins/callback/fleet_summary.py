# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""At the end of an attestation playbook, write one summary of every host on the controller.

A callback, not a last play: Ansible runs no later play once every host has failed or is
unreachable, and a fleet where every host was refused needs its summary most. The playbook's
stats event is raised whatever happened to the hosts, so the summary is always written.
"""

from __future__ import annotations

DOCUMENTATION = r"""
---
name: fleet_summary
type: aggregate
short_description: Write a fleet summary (JSON, Markdown, JUnit) of an attestation run
version_added: 0.1.0
description:
  - Records, for each host of C(sandbox.attest.attest) (C(playbooks/attest.yml)), its venue kind
    and pin, its run id, the last failure or the unreachable message, and the path of the
    incomplete evidence a failed run kept. At the end of the playbook it adds each host's verdict
    exported by the verify role (C(sandbox_attest_verdicts), set_stats) and writes
    C(fleet.json), C(fleet.md) and C(junit.xml) (one test case per host and matrix row).
  - It writes even when every host failed or was unreachable. Playbooks that are not an
    attestation (no host recorded C(attest_fleet_venue)) are left alone, and so is C(--check)
    (which creates nothing, on the controller either).
requirements:
  - enable it with C(callbacks_enabled = sandbox.attest.fleet_summary) in ansible.cfg (or
    C(ANSIBLE_CALLBACKS_ENABLED))
options:
  dir:
    description:
      - The directory the summary is written in (absolute). Default C(fleet/) under the
        evidence root the run used (C(sandbox_attest_evidence_root), else its default).
    type: path
    env:
      - name: SANDBOX_ATTEST_FLEET_DIR
    ini:
      - section: sandbox_attest
        key: fleet_dir
"""

import os

from ansible import context
from ansible.plugins.callback import CallbackBase

from ansible_collections.sandbox.attest.plugins.module_utils._engine import utc_now
from ansible_collections.sandbox.attest.plugins.plugin_utils import _fleet
from ansible_collections.sandbox.attest.plugins.plugin_utils._settings import default_evidence_root

# Set by the attestation playbook's task after the settings check (controller side, so even an
# unreachable host records it): the marker that this playbook is an attestation, with the pin.
VENUE_FACT = "attest_fleet_venue"
# The attestation's settings check (verify.yml's runs with names_only and is not one).
SETTINGS_CHECK = ("sandbox.attest.settings_check", "settings_check")


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "sandbox.attest.fleet_summary"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._records: dict[str, dict] = {}
        self._evidence_roots: dict[str, str] = {}
        self.written: dict[str, str] = {}

    def _record(self, result) -> dict:
        return self._records.setdefault(result._host.get_name(), {})

    def v2_runner_on_ok(self, result) -> None:
        facts = result._result.get("ansible_facts") or {}
        venue = facts.get(VENUE_FACT)
        if isinstance(venue, dict):
            self._record(result)["pin"] = str(venue.get("pin") or "")
        if isinstance(facts.get("attest_evidence_root"), str):
            self._evidence_roots[result._host.get_name()] = facts["attest_evidence_root"]
        if isinstance(facts.get("preflight_venue_kind"), str):
            self._record(result)["venue_kind"] = facts["preflight_venue_kind"].strip()
        published = facts.get("preflight_result")
        if isinstance(published, dict):
            record = self._record(result)
            record["run_id"] = str(published.get("run_id") or "")
            record["fingerprint"] = str(published.get("fingerprint") or "")
        # The evidence role's rescue path keeps what was gathered and says where.
        if getattr(result._task, "register", None) == "evidence_incomplete_result":
            self._record(result)["incomplete"] = str(result._result.get("path") or "")

    def v2_runner_on_failed(self, result, ignore_errors: bool = False) -> None:
        if ignore_errors:
            return
        task = result._task
        if (getattr(task, "action", "") in SETTINGS_CHECK
                and not (getattr(task, "args", None) or {}).get("names_only")):
            # The attestation's settings check runs before the host is recorded: a host it
            # refuses is an attestation host all the same (its pin is not known here).
            self._record(result).setdefault("pin", "")
        # The last failure is the one that ended the host: a rescued failure is followed by
        # the rescue's own "Fail with the original cause", which names it.
        self._record(result)["failure"] = "%s: %s" % (
            result._task.get_name(), result._result.get("msg") or "failed")

    def v2_runner_on_unreachable(self, result) -> None:
        record = self._record(result)
        record["unreachable"] = True
        record["failure"] = "unreachable: %s" % (result._result.get("msg") or "no message")

    def _dest(self) -> str:
        try:
            configured = self.get_option("dir")
        except KeyError:  # options not loaded (a bare instance)
            configured = None
        if configured:
            return str(configured)
        # Hosts may set their own evidence roots: the first host's by name, so the place does
        # not depend on which host answered first.
        roots = self._evidence_roots
        return os.path.join(roots[min(roots)] if roots else default_evidence_root(), "fleet")

    def v2_playbook_on_stats(self, stats) -> None:
        attested = {h: r for h, r in self._records.items() if "pin" in r}
        if not attested:
            return
        if context.CLIARGS.get("check"):
            # --check creates nothing, on the controller either (no bundle, no verdict).
            self._display.display("sandbox.attest fleet: check mode, no summary written")
            return
        custom = getattr(stats, "custom", {}) or {}
        verdicts = (custom.get("_run") or {}).get("sandbox_attest_verdicts") or {}
        try:
            summary = _fleet.summarise(attested, verdicts, utc_now())
            self.written = _fleet.write_outputs(
                self._dest(), _fleet.render_outputs(summary, _fleet.matrix_rows()))
        except _fleet.FleetError as exc:
            self._display.error("sandbox.attest fleet summary not written: %s" % exc)
            return
        self._display.display("sandbox.attest fleet: %d host(s), %d READY; %s" % (
            summary["hosts_total"], summary["hosts_ready"], self.written["fleet.md"]))
