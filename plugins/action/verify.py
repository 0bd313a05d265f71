# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for sandbox.attest.verify (documented in plugins/modules/verify.py).

Runs on the controller only: it never opens a connection to the host, reads the bundle, and
writes only the five outputs (and the signed VSA, vsa.dsse.json, when vsa_signing_key is
given). `failed` means misuse (no bundle directory, malformed venues, an unusable signing key,
unusable data files, an unwritable dest); a status short of READY is a result, not a failure:
the playbook decides what to do with it.
"""

from __future__ import annotations

import os
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._argument_spec import (
    ARGUMENT_SPEC,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    SHIPPED_PROBE_PATH,
    DataError,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import GATE_NAME
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier import (
    Options,
    verify_bundle,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._venue import (
    VenueError,
    parse_venues,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    SigningKeyError,
    load_vsa_signing_key,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._write import (
    clear_outputs,
    default_dest,
    output_names,
    write_outputs,
)


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    # Verification is read-only: it runs under --check as it does without.
    _supports_check_mode = True

    def run(self, tmp: str | None = None, task_vars: dict[str, Any] | None = None) -> dict:
        result, args = self.start(tmp, task_vars)
        del tmp
        result["changed"] = False

        bundle = args["bundle"]
        if not os.path.isdir(bundle):
            result.update(failed=True, msg="bundle %s is not a directory" % bundle)
            return result
        try:
            venues = parse_venues(args["approved_venues"], args["rehearsal_venues"])
        except VenueError as exc:
            result.update(failed=True, msg=str(exc))
            return result
        signing_key = None
        if args["vsa_signing_key"]:
            # Checked before the previous outputs go: a bad key leaves them as they were.
            try:
                signing_key = load_vsa_signing_key(args["vsa_signing_key"],
                                                   args["vsa_signing_key_passphrase"])
            except SigningKeyError as exc:
                result.update(failed=True, msg=str(exc))
                return result

        options = Options(
            venues=venues,
            host=args["host"],
            probe_path=args["probe_path"] or SHIPPED_PROBE_PATH,
            matrix_path=args["matrix_file"],
            expectations_path=args["expectations_file"],
        )
        dest = args["dest"] or default_dest(bundle)
        if not self._task.check_mode:
            # No earlier verdict may outlive this verification, whatever becomes of it.
            try:
                clear_outputs(bundle, dest)
            except OSError as exc:
                result.update(failed=True, msg="cannot remove the previous outputs from %s: %s"
                              % (dest, exc.strerror or exc))
                return result
        try:
            verdict = verify_bundle(bundle, options)
        except DataError as exc:
            result.update(failed=True, msg="verifier data unusable: %s" % exc)
            return result

        if self._task.check_mode:
            # --check previews the verdict; the outputs are not written.
            outputs = {name: os.path.join(dest, name)
                       for name in output_names(signing_key is not None)}
            written = False
        else:
            try:
                outputs = write_outputs(verdict, bundle, dest, signing_key)
            except OSError as exc:
                result.update(failed=True, msg="cannot write the outputs into %s: %s"
                              % (dest, exc.strerror or exc))
                return result
            written = True

        result.update(
            status=verdict.status,
            gate=verdict.gate,
            gate_name=GATE_NAME,
            reasons=verdict.reasons,
            rows=[{"row": row.row, "boundary": row.boundary, "result": row.result,
                   "meaning_source": row.meaning_source, "refs": list(row.refs),
                   "reasons": list(row.reasons)} for row in verdict.rows],
            findings=verdict.failed_finding_names(),
            finding_outcomes={finding.name: finding.outcome for finding in verdict.findings},
            run_id=verdict.context.get("run_id"),
            host=verdict.context.get("host"),
            outputs=outputs,
            written=written,
            msg="%s (%s %s)" % (verdict.status, GATE_NAME, verdict.gate),
        )
        if signing_key is not None:
            result["vsa_keyid"] = signing_key.keyid
        return result
