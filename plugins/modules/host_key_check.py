#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: host_key_check
short_description: Refuse an approved venue whose SSH host key would not be checked
version_added: 0.1.0
description:
  - Reads the options the host's connection will use, as Ansible resolved them (host
    variables, environment, C(ansible.cfg)), and refuses the host unless its SSH host key would
    be checked strictly against the pinned C(known_hosts).
  - Refuses when Ansible's C(host_key_checking) is off. ansible-runner and AWX set
    C(ANSIBLE_HOST_KEY_CHECKING=False) unless the job's environment sets it; ansible-core then
    passes C(-o StrictHostKeyChecking=no) before the inventory's C(ssh_common_args), and
    OpenSSH keeps the first value, so the inventory's C(StrictHostKeyChecking=yes) would be
    overridden in silence. Set C(ansible_host_key_checking=true) for approved venues.
  - Otherwise asks OpenSSH (C(ssh -G), which prints the effective configuration and connects
    nowhere) what the connection's arguments amount to, for the ssh, sftp and scp subsystems,
    and refuses any C(StrictHostKeyChecking) but C(yes) (C(no), C(accept-new) and C(ask) let
    a key that is not pinned in).
  - Accepts the C(local) connection (the controller itself, no host key) and refuses any other
    connection but C(ssh).
  - Opens no connection and changes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options: {}
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Refuse an approved venue whose host key is not pinned
  sandbox.attest.host_key_check:
  when: inventory_hostname in groups['approved_venues']
"""

RETURN = r"""
connection:
  description: The connection's transport (C(ssh) or C(local)).
  returned: success
  type: str
host_key_checking:
  description: Ansible's C(host_key_checking) for the host; null for C(local).
  returned: success
  type: bool
strict_host_key_checking:
  description: OpenSSH's effective C(StrictHostKeyChecking) (C(true) means C(yes)).
  returned: success
  type: str
known_hosts:
  description: OpenSSH's effective C(UserKnownHostsFile) for the host.
  returned: success
  type: str
"""
