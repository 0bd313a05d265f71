# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The probe image on the target: a labelled cache, known by its image ID.

The archive is assembled on the controller (plugin_utils' probe image builder), so its ID is
known before it is loaded; here the engine is asked whether it has that ID, and the images this
collection labelled are found (each label read back) for removal.
"""

from __future__ import annotations

import re

from ansible_collections.sandbox.attest.plugins.module_utils._engine import run_cli
from ansible_collections.sandbox.attest.plugins.module_utils._profile import LABEL_PROBE_IMAGE

IMAGE_ID = re.compile(r"^sha256:[0-9a-f]{64}$")


def is_present(engine_cli: str, image_id: str, runtime: str = "docker") -> bool:
    """Whether the engine has exactly this image. Podman prints an image's ID without the
    `sha256:` that Docker prints (measured, Podman 4.3), and is asked by the same full ID."""
    result = run_cli([engine_cli, "image", "inspect", "--format", "{{.Id}}", image_id],
                     check=False)
    printed = result.stdout.strip()
    if runtime == "podman" and IMAGE_ID.match("sha256:" + printed):
        printed = "sha256:" + printed
    return result.rc == 0 and printed == image_id


def load_command(engine_cli: str, archive: str) -> list[str]:
    return [engine_cli, "load", "--input", archive]


def probe_images(engine_cli: str, only: str | None) -> list[str]:
    """The images labelled as this collection's probe image (only `only`, when given)."""
    listed = run_cli([engine_cli, "image", "ls", "-q", "--no-trunc", "--filter",
                      "label=%s=true" % LABEL_PROBE_IMAGE]).stdout.split()
    mine = []
    for image in sorted(set(listed)):
        label = run_cli([engine_cli, "image", "inspect", "--format",
                         '{{index .Config.Labels "%s"}}' % LABEL_PROBE_IMAGE, image], check=False)
        if label.rc == 0 and label.stdout.strip() == "true" and only in (None, image):
            mine.append(image)
    return mine


def remove_images(engine_cli: str, only: str | None,
                  check_mode: bool) -> tuple[list[str], list[str]]:
    """(removed, kept because a container uses them); in check mode nothing is removed."""
    removed, kept = [], []
    for image in probe_images(engine_cli, only):
        users = run_cli([engine_cli, "ps", "-aq", "--filter", "ancestor=%s" % image]).stdout
        if users.strip():
            kept.append(image)
            continue
        if not check_mode:
            run_cli([engine_cli, "image", "rm", image])
        removed.append(image)
    return removed, kept
