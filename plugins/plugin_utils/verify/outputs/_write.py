# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Writing the five outputs (six with a signing key), and nothing else.

Default destination: <bundle>/verification/ (excluded from integrity by name, replaced on each
verification); a read-only bundle takes a dest directory instead. The previous outputs are
removed before a verification starts (clear_outputs), so no earlier verdict outlives a new one
that crashed or could not be written. Each output is written to a temporary file beside it and
renamed into place, so a planted link at an output's name is replaced, never followed, and a
reader never sees half a report; verdict.json goes last, so its presence means the others are
this verification's. With a signing key (outputs/_signing_key), vsa.dsse.json, the DSSE
envelope of vsa.intoto.json's exact bytes (outputs/_dsse), is written too; without one the
five outputs are byte for byte what they were. Every output is valid for its format whatever
the evidence held (outputs/_text); one that cannot be rendered at all gives the verifier-error
verdict instead.
"""

from __future__ import annotations

import os
import tempfile

from ansible_collections.sandbox.attest.plugins.module_utils._json import pretty
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import VERIFICATION_DIR
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import Verdict
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._verifier_error import (
    error_verdict,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._documents import (
    junit,
    statement,
    verdict_document,
    vsa,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._dsse import (
    envelope_bytes,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._report import (
    render_report,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._signing_key import (
    VsaSigningKey,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.outputs._text import (
    json_safe,
    markdown_text,
)

OUTPUT_NAMES = ("verdict.json", "report.md", "statement.intoto.json", "vsa.intoto.json",
                "junit.xml")
ENVELOPE_NAME = "vsa.dsse.json"
# Every name a verification may leave: cleared before each one, key or not, so an envelope of
# an earlier verdict never sits beside a later, unsigned one.
_ALL_NAMES = (*OUTPUT_NAMES, ENVELOPE_NAME)
# verdict.json last: a reader who finds it finds the others of the same verification.
_WRITE_ORDER = ("report.md", "statement.intoto.json", "vsa.intoto.json", ENVELOPE_NAME,
                "junit.xml", "verdict.json")


def output_names(signed: bool) -> tuple[str, ...]:
    """The outputs a verification writes: the five, and the envelope when signed."""
    return _ALL_NAMES if signed else OUTPUT_NAMES


def default_dest(bundle_dir: str) -> str:
    return os.path.join(bundle_dir, VERIFICATION_DIR)


def _render(verdict: Verdict) -> dict[str, bytes]:
    return {
        "verdict.json": pretty(json_safe(verdict_document(verdict))),
        "report.md": markdown_text(render_report(verdict)).encode("utf-8"),
        "statement.intoto.json": pretty(json_safe(statement(verdict))),
        "vsa.intoto.json": pretty(json_safe(vsa(verdict))),
        "junit.xml": junit(verdict),
    }


def render_outputs(verdict: Verdict) -> dict[str, bytes]:
    """The five outputs; a verdict that cannot be rendered gives the verifier-error verdict's
    outputs (FAILED, "evidence not judged"), never none."""
    try:
        return _render(verdict)
    except Exception as exc:
        return _render(error_verdict(verdict.context.get("bundle"), verdict.context.get("data"),
                                     verdict.verified_at, exc))


def write_file(dest: str, name: str, data: bytes) -> str:
    """dest/name written whole or not at all (renamed into place, mode 0644): a reader never
    sees half a file, and a link planted at the name is replaced, never followed."""
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


def _target(bundle_dir: str, dest: str | None) -> str:
    target = dest or default_dest(bundle_dir)
    if os.path.islink(target) and os.path.abspath(target) == os.path.abspath(
            default_dest(bundle_dir)):
        # A link planted at the bundle's verification/ must not redirect our writes.
        os.unlink(target)
    return target


def clear_outputs(bundle_dir: str, dest: str | None = None) -> None:
    """Remove the previous verification's outputs (and temporary files a crash left beside
    them) before verifying again. OSError propagates (the caller reports it)."""
    target = _target(bundle_dir, dest)
    if not os.path.isdir(target):
        return
    temporaries = tuple(".%s." % name for name in _ALL_NAMES)
    for name in os.listdir(target):
        if name in _ALL_NAMES or name.startswith(temporaries):
            path = os.path.join(target, name)
            if os.path.lexists(path):
                os.unlink(path)


def write_outputs(verdict: Verdict, bundle_dir: str, dest: str | None = None,
                  signing_key: VsaSigningKey | None = None) -> dict[str, str]:
    """Write the outputs; returns name -> path. OSError propagates (the caller reports it)."""
    target = _target(bundle_dir, dest)
    os.makedirs(target, mode=0o755, exist_ok=True)
    rendered = render_outputs(verdict)
    if signing_key is not None:
        # The payload is the very bytes written as vsa.intoto.json: the file and the envelope's
        # payload are one document, comparable byte for byte.
        rendered[ENVELOPE_NAME] = envelope_bytes(rendered["vsa.intoto.json"], signing_key)
    written = {name: write_file(target, name, rendered[name]) for name in _WRITE_ORDER
               if name in rendered}
    return {name: written[name] for name in output_names(signing_key is not None)}
