# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Controller side of sandbox.attest.probe_archive: assemble the probe image archive."""

from __future__ import annotations

import os

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._files import same_bytes
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import (
    build_probe_image,
    read_probe,
)

ARGUMENT_SPEC = dict(
    probe_path=dict(type="path"),
    dest=dict(type="path"),
)
DEFAULT_PROBE = os.path.join(os.path.dirname(__file__), "..", "..", "files", "sandbox-probe")


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        probe_path = os.path.normpath(args["probe_path"] or DEFAULT_PROBE)
        try:
            image = build_probe_image(read_probe(probe_path))
        except FileNotFoundError as exc:
            raise AnsibleActionFail(str(exc)) from exc
        result.update(changed=False, image_id=image.image_id, probe_sha256=image.probe_sha256,
                      tag=image.tag, archive_sha256=image.archive_sha256,
                      probe_path=probe_path, archive_path=None)
        dest = args["dest"]
        if dest:
            if not os.path.isabs(dest):
                raise AnsibleActionFail("dest must be an absolute path, got %r" % dest)
            path = os.path.join(dest, "probe-image-%s.tar" % image.image_id[7:19])
            result["archive_path"] = path
            if not self._task.check_mode and not same_bytes(path, image.archive):
                os.makedirs(dest, mode=0o755, exist_ok=True)
                tmp_path = path + ".tmp"
                with open(tmp_path, "wb") as handle:
                    handle.write(image.archive)
                os.replace(tmp_path, path)
                result["changed"] = True
        return result
