# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.evidence_bundle: have the venue render and sign the bundle
(the module sandbox.attest.evidence_seal, run on the target with the task's become), then write
the bytes it returns, unchanged, and the manifest over them."""

from __future__ import annotations

import base64
import binascii

from ansible.errors import AnsibleActionFail
from ansible.plugins.action import ActionBase

from ansible_collections.sandbox.attest.plugins.module_utils._options import SEAL, argument_spec
from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import (
    collection_version,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._write import (
    BundleWriteError,
    check_relpath,
    write_bundle,
)

ARGUMENT_SPEC = argument_spec(SEAL, dest=dict(type="path", required=True))


def decoded(files: object) -> dict[str, bytes]:
    """evidence_seal's files (path -> base64) as bytes; no path outside the bundle."""
    if not isinstance(files, dict) or not files:
        raise BundleWriteError("the venue returned no files")
    out: dict[str, bytes] = {}
    for path, text in files.items():
        check_relpath(path)
        if not isinstance(text, str):
            raise BundleWriteError("%s: not base64 text" % path)
        try:
            out[path] = base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError) as exc:
            raise BundleWriteError("%s: not base64: %s" % (path, exc)) from exc
    return out


class ActionModule(ActionBase):
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result = super().run(tmp, task_vars)
        del tmp
        dummy, args = self.validate_argument_spec(argument_spec=ARGUMENT_SPEC)
        result.update(dest=args["dest"])
        if self._task.check_mode:
            result.update(changed=False, written=False)
            return result
        module_args = {name: args[name] for name in SEAL}
        module_args["collection_version"] = collection_version()
        sealed = self._execute_module(module_name="sandbox.attest.evidence_seal",
                                      module_args=module_args, task_vars=task_vars)
        if sealed.get("failed"):
            result.update(failed=True, msg="the venue could not seal the evidence: %s"
                          % sealed.get("msg", sealed))
            return result
        try:
            files = decoded(sealed.get("files"))
            result.update(write_bundle(args["dest"], files))
        except (BundleWriteError, ValueError, OSError) as exc:
            raise AnsibleActionFail("writing the evidence bundle failed: %s: %s" % (
                type(exc).__name__, exc)) from exc
        result.update(changed=True, written=True, paths=sorted(files),
                      signed=sealed.get("signed"), unsigned_reason=sealed.get("unsigned_reason"),
                      statement_sha256=sealed.get("statement_sha256"))
        return result
