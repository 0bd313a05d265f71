#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: probe_image
short_description: Make sure the probe image is loaded on the target, by its image ID
version_added: 0.1.0
description:
  - The probe image is a cache, not part of any run. When the engine already has O(image_id),
    nothing happens. Otherwise the archive at O(archive) is loaded with C(docker load) and the
    loaded ID must equal O(image_id).
  - With O(state=absent) it removes the collection's probe images instead (by default every
    image labelled C(sandbox.attest.probe-image=true), each label read back before removal), but
    never one a container still uses.
  - Supports check mode (reports whether it would load or remove).
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  image_id:
    description:
      - The expected image ID, C(sha256:) and 64 hex, computed on the controller.
      - Required with O(state=present); with O(state=absent) it limits removal to that image.
    type: str
  state:
    description: Whether the probe image should be loaded, or removed.
    type: str
    default: present
    choices: [present, absent]
  archive:
    description: The image archive on the target; needed only when the image is missing.
    type: path
  present_only:
    description: Only report whether the image is present; never load.
    type: bool
    default: false
notes:
  - O(runtime) matters where Podman prints differently - an image's ID without C(sha256:)
    when asked whether the image is present. Loading and O(state=absent) take the same commands
    for both (C(image ls --no-trunc) prints C(sha256:) under Podman too, measured with 4.3).
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
"""

EXAMPLES = r"""
- name: Load the probe image when missing
  sandbox.attest.probe_image:
    image_id: "{{ probe.image_id }}"
    archive: /var/lib/sandbox-attest/RUN/probe-image.tar
"""

RETURN = r"""
present:
  description: Whether the image was present before this task.
  returned: success
  type: bool
loaded:
  description: Whether this task loaded it (or would, in check mode).
  returned: success
  type: bool
command:
  description: The load argv that ran or would run.
  returned: when loaded
  type: list
  elements: str
removed:
  description: The probe image IDs removed (or, in check mode, to be removed).
  returned: when state=absent
  type: list
  elements: str
kept_in_use:
  description: Probe image IDs left because a container still uses them.
  returned: when state=absent
  type: list
  elements: str
"""

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    RUNTIME,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._probe_image_cache import (
    IMAGE_ID,
    is_present,
    load_command,
    remove_images,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            ENGINE_CLI, RUNTIME,
            image_id=dict(type="str"),
            archive=dict(type="path"),
            present_only=dict(type="bool", default=False),
            state=dict(type="str", default="present", choices=["present", "absent"]),
        ),
        required_if=[("state", "present", ("image_id",))],
        supports_check_mode=True,
    )
    engine_cli, image_id = module.params["engine_cli"], module.params["image_id"]
    runtime = module.params["runtime"]
    if image_id is not None and not IMAGE_ID.match(image_id):
        module.fail_json(msg="image_id must be sha256: and 64 lowercase hex, got %r" % image_id)
    try:
        if module.params["state"] == "absent":
            removed, kept = remove_images(engine_cli, image_id, module.check_mode)
            module.exit_json(changed=bool(removed), removed=removed, kept_in_use=kept)
        present = is_present(engine_cli, image_id, runtime)
        if present or module.params["present_only"]:
            module.exit_json(changed=False, present=present, loaded=False)
        archive = module.params["archive"]
        if not archive:
            module.fail_json(msg="the probe image %s is missing and no archive was given"
                             % image_id)
        argv = load_command(engine_cli, archive)
        if module.check_mode:
            module.exit_json(changed=True, present=False, loaded=True, command=argv)
        run_cli(argv, timeout=300)
        if not is_present(engine_cli, image_id, runtime):
            module.fail_json(msg="%s load of %s did not yield image %s: the archive is not the "
                                 "one the controller built" % (runtime, archive, image_id))
    except EngineError as exc:
        module.fail_json(msg="loading the probe image failed: %s" % exc)
    module.exit_json(changed=True, present=False, loaded=True, command=argv)


if __name__ == "__main__":
    main()
