#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: fleet_summary
short_description: Write a fleet summary of several verdicts (JSON, Markdown, JUnit)
version_added: 0.1.0
description:
  - Writes C(fleet.json), C(fleet.md) and C(junit.xml) (one test case per host and matrix row)
    under O(dest), one row per entry of O(hosts) with its status, the rows that are not PASS,
    its venue kind and pin, and its evidence path or the reason there is none.
  - A host's status is its verdict's (from O(verdicts), as the verify role exports them), or
    C(NOT_ATTESTED) with its reason when it has none. Nothing here computes a status.
  - An attestation run writes the same summary through the C(sandbox.attest.fleet_summary)
    callback; this module serves C(playbooks/verify.yml) over a directory of returned bundles.
  - In check mode nothing is written.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  hosts:
    description:
      - One entry per row of the summary (a host, or a returned bundle), each a mapping with
        any of C(pin) (the inventory's pinned fingerprint), C(venue_kind), C(run_id),
        C(fingerprint), C(failure), C(unreachable) and C(incomplete) (a kept evidence path).
    type: dict
    required: true
  verdicts:
    description:
      - The verdicts by the same keys, each as the verify role exports it in
        C(sandbox_attest_verdicts) (C(status), C(run_id), C(reasons), C(bundle), C(verdict),
        the path of its C(verdict.json)).
    type: dict
    default: {}
  dest:
    description:
      - The directory to write in (absolute); created when missing, the three files replaced.
    type: path
    required: true
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Summarise the bundles verified above
  sandbox.attest.fleet_summary:
    hosts: "{{ verify_fleet_hosts }}"
    verdicts: "{{ verify_fleet_verdicts }}"
    dest: /srv/returned/fleet
"""

RETURN = r"""
written:
  description: The path of each file written, by name (empty in check mode).
  returned: success
  type: dict
  sample: {"fleet.json": "/srv/returned/fleet/fleet.json"}
hosts_total:
  description: How many rows the summary has.
  returned: success
  type: int
hosts_ready:
  description: How many of them are C(SANDBOX_ATTESTED_READY).
  returned: success
  type: int
status_counts:
  description: How many rows have each status.
  returned: success
  type: dict
"""
