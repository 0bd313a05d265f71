#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: evidence_bundle
short_description: Have the venue sign its evidence, and write the bundle on the controller
version_added: 0.1.0
description:
  - Runs M(sandbox.attest.evidence_seal) on the target (with the task's C(become), as the venue's
    SSH host keys are root's), which lays the run's results out as the files of the evidence
    bundle (C(docs/evidence-bundle.md)) and signs their digests with the host key whose public
    half is O(host_key). Then writes the bytes it returned into O(dest), a new (or empty)
    directory, unchanged, and C(manifest.json) (format 2) with the sha256 of every file, the
    one file the controller makes. Evidence is never overwritten.
  - Unsigned evidence (no key pinned, no host key matching it) is written all the same; the
    statement says why, and the verifier says PARTIAL.
  - In check mode it runs nothing on the target and writes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  dest:
    description: The bundle directory on the controller, absolute; it must not exist yet (or
      be empty).
    type: path
    required: true
extends_documentation_fragment:
  - sandbox.attest.options.seal
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Have the venue sign the evidence, and write the bundle
  sandbox.attest.evidence_bundle:
    dest: "/srv/evidence/{{ inventory_hostname }}/{{ run_id }}"
    run: "{{ run }}"
    venue: "{{ venue }}"
    facts: "{{ engine.facts }}"
    snapshot_before: "{{ before.snapshot_json }}"
    snapshot_after: "{{ after.snapshot_json }}"
    events: "{{ events.events }}"
    identities: "{{ identities }}"
    host_key: "{{ sandbox_attest_venue_host_key | default('') }}"
  become: true
"""

RETURN = r"""
dest:
  description: The bundle directory.
  returned: success
  type: str
paths:
  description: The bundle paths written (manifest.json aside).
  returned: when written
  type: list
  elements: str
files:
  description: How many files were written besides the manifest.
  returned: when written
  type: int
written:
  description: Whether the bundle was written (not in check mode).
  returned: success
  type: bool
signed:
  description: Whether the venue signed its statement.
  returned: when written
  type: bool
unsigned_reason:
  description: Why the venue did not sign, or null.
  returned: when written
  type: str
statement_sha256:
  description: The sha256 of C(signature/statement.json).
  returned: when written
  type: str
manifest_sha256:
  description: The sha256 of manifest.json.
  returned: when written
  type: str
"""
