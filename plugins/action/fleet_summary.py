# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.fleet_summary: write the fleet summary of verdicts a play
collected (playbooks/verify.yml over a directory of returned bundles)."""

from __future__ import annotations

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.module_utils._engine import utc_now
from ansible_collections.sandbox.attest.plugins.plugin_utils import _fleet
from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)

ARGUMENT_SPEC: dict = {
    "hosts": {"type": "dict", "required": True},
    "verdicts": {"type": "dict", "default": {}},
    "dest": {"type": "path", "required": True},
}


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        bad = sorted(n for n, r in args["hosts"].items() if not isinstance(r, dict))
        if bad:
            raise AnsibleActionFail("hosts: the entry of %s is not a mapping" % ", ".join(bad))
        try:
            summary = _fleet.summarise(args["hosts"], args["verdicts"], utc_now())
            written = {} if self._task.check_mode else _fleet.write_outputs(
                args["dest"], _fleet.render_outputs(summary, _fleet.matrix_rows()))
        except _fleet.FleetError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        result.update(changed=bool(written), written=written,
                      hosts_total=summary["hosts_total"], hosts_ready=summary["hosts_ready"],
                      status_counts=summary["status_counts"])
        return result
