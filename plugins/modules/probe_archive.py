#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done by the action plugin of the same name, on the controller.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: probe_archive
short_description: Assemble the probe image as a deterministic docker-archive, on the controller
version_added: 0.1.0
description:
  - Builds, in memory, a one-layer image archive holding the static probe and an
    C(/etc/passwd) for uid 65532, with fixed mtimes, owners, order and config. The image ID is
    the sha256 of the config bytes, so it is known before anything reaches the target and is
    identical on every host.
  - Writes the archive under O(dest) only when it is not already there with the same bytes;
    in check mode it computes the IDs and writes nothing.
  - Runs on the controller only; it never opens a connection.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  probe_path:
    description: The static probe binary; by default the one shipped in the collection's
      C(files/).
    type: path
  dest:
    description: A controller directory to write the archive into; nothing is written without it.
    type: path
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Compute the probe image ID and write its archive
  sandbox.attest.probe_archive:
    dest: "{{ playbook_dir }}/../.cache/sandbox-attest"
  register: probe
"""

RETURN = r"""
image_id:
  description: The image ID the engine will report after loading.
  returned: success
  type: str
probe_sha256:
  description: The sha256 of the probe binary.
  returned: success
  type: str
tag:
  description: The tag the archive carries.
  returned: success
  type: str
archive_path:
  description: Where the archive was (or, in check mode, would be) written.
  returned: when dest is given
  type: str
archive_sha256:
  description: The sha256 of the archive bytes.
  returned: success
  type: str
probe_path:
  description: The probe binary used.
  returned: success
  type: str
"""
