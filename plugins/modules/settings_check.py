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
  - Refuses, too, a user-facing name of before the one C(sandbox_attest_) prefix (C(bundle),
    C(venue), C(verification_dest), C(attest_require_ready), C(packet_dest)), naming the one
    that replaced it. Every playbook of the collection runs this check first.
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
    description:
      - Where bundles land on the controller, an absolute directory.
      - Empty - under ansible-runner (AWX), C(evidence/) in the job's artifact directory
        (C(AWX_ISOLATED_DATA_DIR)), inside its private data directory; otherwise C(evidence/)
        in the controller process's working directory (never the C(PWD) variable, which a
        launcher passes on unchanged).
    type: raw
  vsa_signing_key:
    description:
      - The controller's Ed25519 key that will sign the verification summary
        (M(sandbox.attest.verify) I(vsa_signing_key)); empty means none.
      - Loaded here, so a missing, unprotected, encrypted or non-Ed25519 key is refused before
        the run rather than after it.
    type: raw
  vsa_signing_key_passphrase:
    description: The passphrase of an encrypted I(vsa_signing_key). Never logged nor returned.
    type: raw
  venue_host_key:
    description:
      - The venue's pinned public SSH host key (C(sandbox_attest_venue_host_key)), one line
        C(<type> <base64>) as in the host key's C(.pub) file. Empty - not pinned (the evidence
        is unsigned, never READY). A malformed key is refused.
    type: raw
  names_only:
    description: Check only the variable names (old names, unknown C(sandbox_attest_*) names),
      for the playbooks that read no other setting; RV(settings) is then empty.
    type: bool
    default: false
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Check the settings first
  sandbox.attest.settings_check:
    seccomp_profile: "{{ sandbox_attest_seccomp_profile | default('') }}"
    limits: "{{ sandbox_attest_limits | default({}) }}"
    evidence_root: "{{ sandbox_attest_evidence_root | default('') }}"
    vsa_signing_key: "{{ sandbox_attest_vsa_signing_key | default('') }}"
    venue_host_key: "{{ sandbox_attest_venue_host_key | default('') }}"
  register: settings

- name: Refuse old and unknown variable names (a playbook that reads no other setting)
  sandbox.attest.settings_check:
    names_only: true
"""

RETURN = r"""
settings:
  description: The normalised settings, C(seccomp_profile), C(runtime), C(limits) (every limit,
    defaults filled in), C(run_root), C(evidence_root) and C(venue_host_key) (C(<type>
    <base64>), or empty); empty with O(names_only).
  returned: success
  type: dict
"""
