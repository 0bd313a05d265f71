#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/verify.py (the
# ansible.utils validate pattern), so there is no module code to ship to a target.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: verify
short_description: Verify a sandbox attestation evidence bundle and bind it to matrix #24-#37
version_added: 0.1.0
description:
  - Reads an evidence bundle (docs/evidence-bundle.md) on the controller, recomputes every probe
    verdict from the raw observations, checks the run containers' inspect documents against the
    hardened profile, and decides the status and the B4′ gate.
  - "Named findings: C(schema) (the bundle against its versioned JSON Schema), C(integrity)
    (every file against manifest.json), C(provenance) (one container, image, probe and engine
    throughout; the image and probe are the ones this collection ships), C(venue) (the pinned
    fingerprint of an approved venue), C(profile) (static conformance of the inspect documents),
    C(probes) (recomputed verdicts), C(cross_checks) (the engine's and the probe's views agree)
    and C(non_mutation) (nothing pre-existing changed)."
  - Statuses are C(SANDBOX_ATTESTED_READY) (gate UNBLOCKED), C(SANDBOX_ATTESTATION_FAILED) and
    C(SANDBOX_ATTESTATION_PARTIAL) (gate BLOCKED), with every reason listed.
  - Writes C(verdict.json), C(report.md), C(statement.intoto.json), C(vsa.intoto.json) and
    C(junit.xml) into I(dest), and nothing else; with I(vsa_signing_key), also C(vsa.dsse.json),
    the verification summary signed as a DSSE envelope (docs/signed-verdict.md).
  - Never connects to the inventory host. Fails only on misuse; a status short of READY is
    returned, not failed, so the playbook decides.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  bundle:
    description:
      - The bundle directory on the controller, C(evidence/<inventory_hostname>/<run_id>/).
    type: path
    required: true
  approved_venues:
    description:
      - The inventory's approved venues, host name to its pin.
      - "Each value is a mapping with C(fingerprint): C(sha256:<64 hex>), or null for an approved
        host not pinned yet (never READY)."
      - "It may also pin C(engine_id), the engine's ID: a bundle naming another one is never
        READY (the fingerprint alone cannot show an engine ID changed consistently)."
      - "And C(host_key), the venue's public SSH host key C(<type> <base64>): READY needs the
        venue's signature by that key over digests that match the files (unsigned or no key
        pinned - PARTIAL; another key, a bad signature or other digests - FAILED). Checked with
        C(ssh-keygen -Y verify) on the controller."
    type: dict
    default: {}
  rehearsal_venues:
    description:
      - Hosts that are rehearsal venues (the local engine, test hosts). Never READY.
    type: list
    elements: str
    default: []
  host:
    description:
      - The inventory hostname the bundle is verified as. Defaults to the one C(run.json) names.
    type: str
  dest:
    description:
      - Where the outputs go. Defaults to C(<bundle>/verification/), which is excluded from the
        integrity check and replaced on each verification; use another directory for a
        read-only bundle.
    type: path
  probe_path:
    description:
      - The shipped probe binary the image ID and probe sha256 are computed from.
      - Defaults to the collection's C(files/sandbox-probe).
    type: path
  matrix_file:
    description:
      - A matrix data file to bind instead of the collection's C(data/matrix.yml).
    type: path
  expectations_file:
    description:
      - An expectations data file instead of the collection's C(data/expectations.yml).
    type: path
  vsa_signing_key:
    description:
      - An Ed25519 private key on the controller (absolute path, mode 0600 or stricter) that
        signs the verification summary. When given, C(vsa.dsse.json) is written beside
        C(vsa.intoto.json), a DSSE envelope whose payload is that file's exact bytes.
      - PEM PKCS#8 (C(openssl genpkey -algorithm ed25519)) or OpenSSH (C(ssh-keygen -t ed25519)).
      - The key is checked before the previous outputs are removed; a missing, unreadable,
        unprotected, encrypted (without I(vsa_signing_key_passphrase)) or non-Ed25519 key fails
        the task, naming the cause.
      - Without it nothing changes; the outputs are byte for byte those of an unsigned run.
    type: path
  vsa_signing_key_passphrase:
    description:
      - The passphrase of an encrypted I(vsa_signing_key). Never logged nor returned.
    type: str
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
notes:
  - The bundle is read without following links; links, extra and missing files are integrity
    findings.
  - "Trust model (docs/architecture.md): integrity catches corruption and naive edits and the
    cross-checks catch a weakened run; a packet operator can still forge a consistent bundle.
    The report states which path produced the bundle."
  - "With I(vsa_signing_key), C(vsa.dsse.json) proves the verdict is this verifier's and
    unedited, not that the evidence it judged is genuine (docs/signed-verdict.md)."
seealso:
  - name: Evidence bundle format
    description: docs/evidence-bundle.md in this collection.
    link: https://example.invalid/sandbox-attest/docs/evidence-bundle.md
"""

EXAMPLES = r"""
- name: Verify a returned bundle against the inventory's approved venues
  sandbox.attest.verify:
    bundle: "{{ playbook_dir }}/../evidence/{{ inventory_hostname }}/{{ run_id }}"
    approved_venues: "{{ sandbox_attest_approved_venues }}"
    rehearsal_venues: "{{ sandbox_attest_rehearsal_venues | default([]) }}"
  register: verify_result

- name: Stop unless the gate is unblocked
  ansible.builtin.assert:
    that: verify_result.gate == 'UNBLOCKED'
    fail_msg: "{{ verify_result.status }}: {{ verify_result.reasons | join('; ') }}"

- name: Verify and sign the verification summary (vsa.dsse.json) with the controller's key
  sandbox.attest.verify:
    bundle: /srv/evidence/vps1/20261128T223131Z-1a2b3c4d
    approved_venues: "{{ sandbox_attest_approved_venues }}"
    vsa_signing_key: /etc/sandbox-attest/vsa-signing-key
  register: verify_result

- name: Verify a read-only bundle, writing the outputs elsewhere
  sandbox.attest.verify:
    bundle: /srv/evidence/vps1/20261128T223131Z-1a2b3c4d
    dest: /tmp/verification-vps1
    approved_venues:
      vps1:
        fingerprint: "sha256:0f4c2d5e6a7b8c9d0e1f2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f"
"""

RETURN = r"""
status:
  description: The status the verifier computed.
  returned: success
  type: str
  sample: SANDBOX_ATTESTATION_PARTIAL
gate:
  description: The state of gate B4′, C(UNBLOCKED) only for C(SANDBOX_ATTESTED_READY).
  returned: success
  type: str
  sample: BLOCKED
gate_name:
  description: The gate's name.
  returned: success
  type: str
  sample: B4′
reasons:
  description: Every reason the gate stays blocked; empty when READY.
  returned: success
  type: list
  elements: str
  sample: ["rehearsal venue"]
rows:
  description: The matrix rows with their result and the evidence that decided each.
  returned: success
  type: list
  elements: dict
  contains:
    row:
      description: The row number, 24 to 37.
      type: int
    boundary:
      description: What the row asserts.
      type: str
    result:
      description: C(PASS), C(FAIL) or C(NOT_RUN).
      type: str
    meaning_source:
      description: C(seed) when the seed defines the row's meaning (only 27), else C(project).
      type: str
    refs:
      description: Evidence references (bundle path, then a JSON pointer or probe ID).
      type: list
      elements: str
    reasons:
      description: Why the row is not PASS.
      type: list
      elements: str
findings:
  description: Names of the findings that did not pass.
  returned: success
  type: list
  elements: str
  sample: ["venue"]
finding_outcomes:
  description: Each finding's outcome, C(pass), C(fail), C(partial) or C(missing).
  returned: success
  type: dict
  sample: {"schema": "pass", "integrity": "pass", "venue": "partial"}
run_id:
  description: The run id the bundle names.
  returned: success
  type: str
host:
  description: The inventory hostname the bundle was verified as.
  returned: success
  type: str
outputs:
  description:
    - Output name to path (the paths that would be written, in check mode).
    - C(vsa.dsse.json), the signed verification summary, is among them when I(vsa_signing_key)
      is given.
  returned: success
  type: dict
  sample: {"verdict.json": "/evidence/vps1/20261128T223131Z-1a2b3c4d/verification/verdict.json"}
vsa_keyid:
  description:
    - The keyid in C(vsa.dsse.json)'s signature, the lower-case hex sha256 of the signing key's
      raw 32-byte Ed25519 public key.
  returned: success, when I(vsa_signing_key) is given
  type: str
  sample: 8f2b0b0c6a3b1e6f4f3f1f9f7c0f0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b
written:
  description: Whether the outputs were written (false in check mode).
  returned: success
  type: bool
msg:
  description: Status and gate in one line.
  returned: always
  type: str
"""
