# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.settings_check: refuse bad settings before anything."""

from __future__ import annotations

import dataclasses

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._settings import (
    SettingsError,
    check_settings,
    name_problems,
)

ARGUMENT_SPEC = dict(
    seccomp_profile=dict(type="raw"),
    runtime=dict(type="raw"),
    limits=dict(type="raw"),
    run_root=dict(type="raw"),
    evidence_root=dict(type="raw"),
    vsa_signing_key=dict(type="raw"),
    vsa_signing_key_passphrase=dict(type="raw", no_log=True),
    venue_host_key=dict(type="raw"),
    names_only=dict(type="bool", default=False),
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        names = list(task_vars or {})
        if args["names_only"]:
            problems = name_problems(names)
            if problems:
                raise AnsibleActionFail("refused before anything was created: %s"
                                        % "; ".join(problems))
            result.update(changed=False, settings={})
            return result
        try:
            settings = check_settings(args, names)
        except SettingsError as exc:
            raise AnsibleActionFail("refused before anything was created: %s" % exc) from exc
        result.update(changed=False, settings=dataclasses.asdict(settings))
        return result
