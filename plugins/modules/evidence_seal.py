#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: evidence_seal
short_description: Render the bundle's files on the venue and sign them with its SSH host key
version_added: 0.1.0
description:
  - Runs on the target (the venue), after the run. Lays the run's results out as the files of
    the evidence bundle (C(docs/evidence-bundle.md)), writes C(signature/statement.json) (the
    run id, the venue fingerprint, the pinned key and the sha256 of every one of those files)
    and signs it with C(ssh-keygen -Y sign), namespace
    C(sandbox-attest-evidence-v1@sandbox.attest), with the host key whose public half is
    O(host_key) (compared with C(ssh-keygen -y) among C(/etc/ssh/ssh_host_*_key)).
  - Returns every file's bytes; M(sandbox.attest.evidence_bundle), which runs this module, writes
    them unchanged on the controller, so the digests the venue signed are the bundle's.
  - "No key pinned, no host key matching the pin, or no C(ssh-keygen) - the statement says why
    and no signature is returned; the run still completes (the verifier says PARTIAL, unsigned)."
  - Host keys are readable by root only; run it with C(become).
  - Writes nothing on the target. In check mode it renders and signs nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  collection_version:
    description:
      - The collection's version for C(run.json)'s producer (M(sandbox.attest.evidence_bundle)
        passes the controller's).
    type: str
    default: ""
extends_documentation_fragment:
  - sandbox.attest.options.seal
  - sandbox.attest.attributes
"""

EXAMPLES = r"""
- name: Render and sign the evidence on the venue (evidence_bundle runs it so)
  sandbox.attest.evidence_seal:
    run: "{{ run }}"
    venue: "{{ venue }}"
    facts: "{{ engine.facts }}"
    snapshot_before: "{{ before.snapshot_json }}"
    snapshot_after: "{{ after.snapshot_json }}"
    events: "{{ events.events }}"
    identities: "{{ identities }}"
    host_key: "{{ sandbox_attest_venue_host_key | default('') }}"
    collection_version: 0.1.0
  become: true
  register: sealed
"""

RETURN = r"""
files:
  description: Bundle path to the file's bytes, base64, as the venue rendered and signed them
    (the statement and its signature included; C(manifest.json) is the controller's).
  returned: success, not in check mode
  type: dict
signed:
  description: Whether the statement was signed.
  returned: success
  type: bool
unsigned_reason:
  description: Why the statement was not signed, or null.
  returned: success
  type: str
statement_sha256:
  description: The sha256 of C(signature/statement.json).
  returned: success, not in check mode
  type: str
"""

import base64
import hashlib
import json

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_layout import (
    LayoutError,
    layout,
    snapshot_document,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import SEAL, argument_spec
from ansible_collections.sandbox.attest.plugins.module_utils._venue_signature import (
    STATEMENT,
    STATEMENT_SIG,
    PinError,
    parse_pin,
    seal,
)

ARGUMENT_SPEC = argument_spec(SEAL, collection_version=dict(type="str", default=""))


def main() -> None:
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    args = module.params
    try:
        pin = parse_pin(args["host_key"]) if args["host_key"] else None
    except PinError as exc:
        module.fail_json(msg=str(exc))
    if module.check_mode:
        module.exit_json(changed=False, signed=False, unsigned_reason="check mode")
    producer = {"path": "automated", "collection": "sandbox.attest",
                "collection_version": args["collection_version"], "packet_sha256": None}
    try:
        files = layout(args["run"], args["venue"], args["facts"],
                       snapshot_document("snapshot_before", args["snapshot_before"]),
                       snapshot_document("snapshot_after", args["snapshot_after"]),
                       args["events"], args["identities"], producer)
    except (LayoutError, KeyError, IndexError, TypeError, ValueError) as exc:
        module.fail_json(msg="laying out the evidence failed: %s: %s" % (
            type(exc).__name__, exc))
    files.update(seal(files, args["run"]["run_id"], args["venue"]["fingerprint"], pin,
                      ssh_keygen=module.get_bin_path("ssh-keygen") or "ssh-keygen"))
    statement = files[STATEMENT]
    unsigned_reason = None
    if STATEMENT_SIG not in files:
        unsigned_reason = json.loads(statement.decode("utf-8"))["unsigned_reason"]
    module.exit_json(
        changed=False,
        files={path: base64.b64encode(data).decode("ascii") for path, data in files.items()},
        signed=STATEMENT_SIG in files, unsigned_reason=unsigned_reason,
        statement_sha256=hashlib.sha256(statement).hexdigest())


if __name__ == "__main__":
    main()
