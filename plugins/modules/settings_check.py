#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: settings_check
short_description: Refuse bad attestation settings before anything is created
version_added: 0.1.0
description:
  - Checks the operator's settings on the controller - a shipped seccomp profile, a supported
    runtime, limits within the profile's bounds, an absolute run root, an absolute and writable
    evidence root - and refuses every variable named C(sandbox_attest_*) that is not a setting,
    since Ansible would otherwise ignore an attempt to loosen the profile
    (C(sandbox_attest_network=host)) in silence. Every problem is named in one message.
  - Returns the normalised settings. Opens no connection and changes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  seccomp_profile:
    description: The seccomp profile asked for; empty means C(targeted-deny).
    type: raw
  runtime:
    description: The runtime asked for; empty means C(docker).
    type: raw
  limits:
    description: Limit overrides (C(pids), C(memory_mb), C(cpus_milli), C(tmpfs_tmp_mb),
      C(timeout_s)).
    type: raw
  run_root:
    description:
      - The parent of the run directories on the target.
      - An absolute, normalised path below C(/) (no C(.) or C(..) component, no C(//), no
        trailing C(/)), each component of letters, digits, C(.), C(_) and C(-).
    type: raw
  evidence_root:
    description: Where bundles land on the controller.
    type: raw
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Check the settings first
  sandbox.attest.settings_check:
    seccomp_profile: "{{ sandbox_attest_seccomp_profile | default('') }}"
    limits: "{{ sandbox_attest_limits | default({}) }}"
    evidence_root: "{{ playbook_dir }}/../evidence"
  register: settings
"""

RETURN = r"""
settings:
  description: The normalised settings, C(seccomp_profile), C(runtime), C(limits) (every limit,
    defaults filled in), C(run_root) and C(evidence_root).
  returned: success
  type: dict
"""
