# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing the five outputs, and nothing else.

Default destination: <bundle>/verification/ (excluded from integrity by name, replaced on each
verification); a read-only bundle takes a dest directory instead. Each output is written to a
temporary file beside it and renamed into place, so a planted link at an output's name is
replaced, never followed, and a reader never sees half a report.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import VERIFICATION_DIR
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import Verdict
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._documents import (
    junit,
    statement,
    verdict_document,
    vsa,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._report import (
    render_report,
)

OUTPUT_NAMES = ("verdict.json", "report.md", "statement.intoto.json", "vsa.intoto.json",
                "junit.xml")


def default_dest(bundle_dir: str) -> str:
    return os.path.join(bundle_dir, VERIFICATION_DIR)


def render_outputs(verdict: Verdict) -> dict[str, bytes]:
    return {
        "verdict.json": pretty(verdict_document(verdict)),
        "report.md": render_report(verdict).encode("utf-8"),
        "statement.intoto.json": pretty(statement(verdict)),
        "vsa.intoto.json": pretty(vsa(verdict)),
        "junit.xml": junit(verdict),
    }


def _write(dest: str, name: str, data: bytes) -> str:
    final = os.path.join(dest, name)
    fd, temporary = tempfile.mkstemp(prefix=".%s." % name, dir=dest)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.chmod(temporary, 0o644)
        os.replace(temporary, final)
    except BaseException:
        if os.path.lexists(temporary):
            os.unlink(temporary)
        raise
    return final


def write_outputs(verdict: Verdict, bundle_dir: str, dest: str | None = None) -> dict[str, str]:
    """Write the outputs; returns name -> path. OSError propagates (the caller reports it)."""
    target = dest or default_dest(bundle_dir)
    if os.path.islink(target) and os.path.abspath(target) == os.path.abspath(
            default_dest(bundle_dir)):
        # A link planted at the bundle's verification/ must not redirect our writes.
        os.unlink(target)
    os.makedirs(target, mode=0o755, exist_ok=True)
    rendered = render_outputs(verdict)
    return {name: _write(target, name, rendered[name]) for name in OUTPUT_NAMES}
