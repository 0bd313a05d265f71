# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Action plugin for sandbox.attest.packet_render (documented in plugins/modules/packet_render.py).

Controller only: renders the operator packet (plugin_utils/packet/) into a directory and a
tarball under dest. The rendering is deterministic, so a second run with the same settings
changes nothing; check mode computes the packet's digest and writes nothing.
"""

from __future__ import annotations

import os
import shutil
import tempfile

from ansible.errors import AnsibleActionFail

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.plugin_utils._collection import (
    PROBE_PATH,
    collection_version,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._controller_action import (
    ControllerAction,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils._files import same_bytes
from ansible_collections.sandbox.attest.plugins.plugin_utils._probe_image import read_probe
from ansible_collections.sandbox.attest.plugins.plugin_utils.packet._render import (
    PACKET_RUNTIMES,
    SCRIPT_NAME,
    Packet,
    PacketError,
    PacketSettings,
    render_packet,
    summary,
)

ARGUMENT_SPEC = dict(
    dest=dict(type="path", required=True),
    host=dict(type="str", required=True),
    host_key=dict(type="str", default="", no_log=False),
    seccomp_profile=dict(type="str", default=_profile.DEFAULT_SECCOMP_PROFILE,
                         choices=list(_profile.SECCOMP_PROFILES)),
    limits=dict(type="dict", default={}),
    run_root=dict(type="str", default=_profile.DEFAULT_RUN_ROOT),
    probe_path=dict(type="path"),
    # As settings_check normalises it: empty means docker.
    runtime=dict(type="str", default="docker", choices=["", *PACKET_RUNTIMES]),
)


def _directory_matches(path: str, packet: Packet) -> bool:
    """The directory holds exactly the packet's files, byte for byte."""
    found = set()
    for directory, dummy, names in os.walk(path):
        for name in names:
            found.add(os.path.relpath(os.path.join(directory, name), path).replace(os.sep, "/"))
    return found == set(packet.files) and all(
        same_bytes(os.path.join(path, *rel.split("/")), data) for rel, data in packet.files.items())


def write_packet(dest: str, packet: Packet) -> dict:
    """Write <dest>/<name>/ and <dest>/<name>.tar.gz; (changed, paths)."""
    directory = os.path.join(dest, packet.name)
    tarball_path = directory + ".tar.gz"
    changed = False
    if os.path.lexists(directory):
        if os.path.islink(directory) or not _directory_matches(directory, packet):
            raise AnsibleActionFail(
                "%s exists and differs from the packet these settings render: it was edited. "
                "Remove it to render it again." % directory)
    else:
        os.makedirs(dest, mode=0o755, exist_ok=True)
        staging = tempfile.mkdtemp(prefix=".%s." % packet.name, dir=dest)
        try:
            for rel, data in packet.files.items():
                target = os.path.join(staging, *rel.split("/"))
                os.makedirs(os.path.dirname(target), mode=0o755, exist_ok=True)
                with open(target, "xb") as handle:
                    handle.write(data)
                os.chmod(target, 0o755 if rel == SCRIPT_NAME else 0o644)
            os.chmod(staging, 0o755)  # noqa: S103 - a packet is meant to be read; no secret
            os.rename(staging, directory)
        except BaseException:
            shutil.rmtree(staging, ignore_errors=True)
            raise
        changed = True
    tarball = packet.tarball()
    if not same_bytes(tarball_path, tarball):
        with open(tarball_path + ".tmp", "wb") as handle:
            handle.write(tarball)
        os.chmod(tarball_path + ".tmp", 0o644)
        os.replace(tarball_path + ".tmp", tarball_path)
        changed = True
    return {"changed": changed, "packet_dir": directory, "tarball": tarball_path}


class ActionModule(ControllerAction):
    ARGUMENT_SPEC = ARGUMENT_SPEC
    _supports_check_mode = True

    def run(self, tmp=None, task_vars=None):
        result, args = self.start(tmp, task_vars)
        del tmp
        dest = args["dest"]
        if not os.path.isabs(dest):
            raise AnsibleActionFail("dest must be an absolute path, got %r" % dest)
        probe_path = os.path.normpath(args["probe_path"] or PROBE_PATH)
        try:
            settings = PacketSettings(
                host=args["host"], collection_version=collection_version(),
                seccomp_profile=args["seccomp_profile"], limits=args["limits"] or {},
                run_root=args["run_root"], host_key=args["host_key"],
                runtime=args["runtime"] or "docker")
            packet = render_packet(read_probe(probe_path), settings)
        except (PacketError, FileNotFoundError, ValueError) as exc:
            raise AnsibleActionFail("cannot render the packet: %s" % exc) from exc
        result.update(summary(packet))
        result["probe_path"] = probe_path
        directory = os.path.join(dest, packet.name)
        result.update(packet_dir=directory, tarball=directory + ".tar.gz")
        if self._task.check_mode:
            result["changed"] = not (os.path.isdir(directory)
                                     and _directory_matches(directory, packet))
            return result
        try:
            result.update(write_packet(dest, packet))
        except OSError as exc:
            raise AnsibleActionFail("cannot write the packet under %s: %s" % (
                dest, exc.strerror or exc)) from exc
        return result
