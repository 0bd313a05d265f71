#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: evidence_bundle
short_description: Write an evidence bundle and its manifest on the controller
version_added: 0.1.0
description:
  - Lays the results of a run out as the files of the evidence bundle (format 1, see
    C(docs/evidence-bundle.md)) and writes them into O(dest), a new (or empty) directory,
    then C(manifest.json) with the sha256 of every file. Evidence is never overwritten.
  - Runs on the controller only; in check mode it lists the paths and writes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  dest:
    description: The bundle directory, absolute; it must not exist yet (or be empty).
    type: path
    required: true
  run:
    description: C(run_id), C(inventory_hostname), C(started_at), C(finished_at),
      C(seccomp_profile), C(image_id) and C(probe_sha256) of the run, and optionally
      C(events_replayed) (M(sandbox.attest.engine_events)' C(replayed)).
    type: dict
    required: true
  venue:
    description: C(fingerprint), C(machine_id_sha256) and C(engine_id), from
      M(sandbox.attest.engine_facts).
    type: dict
    required: true
  facts:
    description: The engine facts, from M(sandbox.attest.engine_facts).
    type: dict
    required: true
  snapshot_before:
    description:
      - The snapshot taken before the run, M(sandbox.attest.engine_snapshot)'s C(snapshot_json)
        (JSON text), or the parsed object.
    type: raw
    required: true
  snapshot_after:
    description: The snapshot taken after the run, as O(snapshot_before).
    type: raw
    required: true
  events:
    description: The scrubbed events of the run window, from M(sandbox.attest.engine_events).
    type: list
    elements: dict
    required: true
  identities:
    description: Per identity, C(identity), C(run) (the M(sandbox.attest.sandbox_run) result)
      and C(output) (the M(sandbox.attest.run_output) result).
    type: list
    elements: dict
    required: true
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Write the bundle
  sandbox.attest.evidence_bundle:
    dest: "/srv/evidence/{{ inventory_hostname }}/{{ run_id }}"
    run: "{{ run }}"
    venue: "{{ venue }}"
    facts: "{{ engine.facts }}"
    snapshot_before: "{{ before.snapshot_json }}"
    snapshot_after: "{{ after.snapshot_json }}"
    events: "{{ events.events }}"
    identities: "{{ identities }}"
"""

RETURN = r"""
dest:
  description: The bundle directory.
  returned: success
  type: str
paths:
  description: The bundle paths written (manifest.json aside).
  returned: success
  type: list
  elements: str
files:
  description: How many files were written besides the manifest.
  returned: success
  type: int
manifest_sha256:
  description: The sha256 of manifest.json.
  returned: when written
  type: str
"""
