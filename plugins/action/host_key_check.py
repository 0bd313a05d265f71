# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.host_key_check: refuse an approved venue whose SSH host
key would not be checked against its pin, before any connection is made to it."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._host_key import (
    SUBSYSTEMS,
    HostKeyError,
    check,
)

ARGUMENT_SPEC: dict = {}
# The ssh connection's options the decision reads (ansible-core's names); the connection object
# holds them as the task executor resolved them from the host's variables, the environment and
# ansible.cfg, with the precedence a real connection uses.
OPTIONS = ("host", "port", "remote_user", "host_key_checking", "ssh_executable", "ssh_args",
           "ssh_common_args", *("%s_extra_args" % s for s in SUBSYSTEMS))


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, dummy = self.start(tmp, task_vars)
        host = (task_vars or {}).get("inventory_hostname", "?")
        connection = self._connection.transport
        options = {}
        for name in OPTIONS:
            try:
                options[name] = self._connection.get_option(name)
            except KeyError:
                options[name] = None
        try:
            verdict = check(host, connection, options, os.environ)
        except HostKeyError as exc:
            raise AnsibleActionFail("refused before anything was done on the host: %s"
                                    % exc) from exc
        result.update(changed=False, connection=verdict.connection,
                      host_key_checking=verdict.host_key_checking,
                      strict_host_key_checking=verdict.strict_host_key_checking,
                      known_hosts=verdict.known_hosts)
        return result
