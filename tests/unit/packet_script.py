"""The operator packet's script as its unit tests run it (tests/unit/plugins/plugin_utils/packet):
rendered for a runtime, its definitions sourced in sh so that the rendered text itself is what
is tested."""

from __future__ import annotations

import subprocess

from ansible_collections.sandbox.attest.plugins.plugin_utils.packet import _render

PROBE = b"\x7fELF stand-in probe for the packet's unit tests\n"
RUN_ID = "20261128T223131Z-1a2b3c4d"


def settings(**overrides) -> _render.PacketSettings:
    """A packet's settings for the test venue vps1; runtime docker unless overridden."""
    values = {"host": "vps1", "collection_version": "0.1.0"}
    values.update(overrides)
    return _render.PacketSettings(**values)


def definitions(packet: _render.Packet, tmp_path) -> str:
    """The script's definitions (everything but its last line, `main "$@"`), as a file."""
    script = packet.files[_render.SCRIPT_NAME].decode()
    body, last = script.rstrip("\n").rsplit("\n", 1)
    assert last == 'main "$@"'
    path = tmp_path / "definitions.sh"
    path.write_text(body + "\n")
    return str(path)


def run_sh(packet: _render.Packet, tmp_path, snippet: str, *args: str,
           stdin: bytes | None = None) -> subprocess.CompletedProcess:
    """`snippet` in sh, with args as "$@", after the script's definitions."""
    return subprocess.run(["sh", "-c", '. "$0"; %s' % snippet, definitions(packet, tmp_path),
                           *args], input=stdin, capture_output=True, timeout=60, check=False)


def sourced(packet: _render.Packet, tmp_path, snippet: str, *args: str,
            stdin: bytes | None = None) -> bytes:
    """run_sh's standard output; the snippet must succeed."""
    proc = run_sh(packet, tmp_path, snippet, *args, stdin=stdin)
    assert proc.returncode == 0, proc.stderr.decode()
    return proc.stdout
