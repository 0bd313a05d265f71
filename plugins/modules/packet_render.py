#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
# Documentation only: the work is done on the controller by plugins/action/packet_render.py.

from __future__ import annotations

DOCUMENTATION = r"""
---
module: packet_render
short_description: Render the operator packet for a venue Ansible cannot reach
version_added: 0.1.0
description:
  - Renders, on the controller, a self-contained operator packet - the probe image archive,
    the hardened profile and its seccomp profile, a POSIX C(sh) script C(attest.sh), a README
    for the operator, and C(SHA256SUMS) - as a directory
    C(<dest>/sandbox-attest-packet-<host>-<digest>/) and a tarball beside it.
  - The script needs only the engine's CLI (C(docker), or C(podman) with O(runtime=podman)),
    coreutils and C(awk). It takes the snapshots with the same
    digest-only C(--format) templates as the automated path, runs both identities with exactly
    the profile's argv (M(sandbox.attest.sandbox_run) runs the same argv), removes what it
    created on exit and on interrupt, and writes an evidence bundle in the same format,
    verified by M(sandbox.attest.verify) like an automated one.
  - The packet's digest is the sha256 of its C(SHA256SUMS); the bundle records it. The
    rendering is deterministic, so the verifier re-renders the packet from the settings a
    bundle records and tells whether the bundle came from this collection's packet.
  - Runs on the controller only; it never opens a connection. In check mode it computes the
    packet and its digest and writes nothing.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  dest:
    description: The controller directory the packet directory and tarball are written into.
    type: path
    required: true
  host:
    description:
      - The venue's name, as the reviewer's inventory names it. The bundle records it as its
        C(inventory_hostname); the verifier checks it against the approved venues and pins.
      - Letters, digits, C(.), C(_) and C(-) only.
    type: str
    required: true
  host_key:
    description:
      - The venue's pinned public SSH host key, C(<type> <base64>) (the inventory's
        C(sandbox_attest_venue_host_key)). The script signs the bundle's statement with
        C(ssh-keygen -Y sign) and the host key whose public half it is (found among
        C(/etc/ssh/ssh_host_*_key) with C(ssh-keygen -y)). Empty - the bundle is unsigned, and
        never READY.
    type: str
    default: ""
  limits:
    description:
      - Resource ceilings, each within its bound (C(pids), C(memory_mb), C(cpus_milli),
        C(tmpfs_tmp_mb), C(timeout_s)), as for M(sandbox.attest.sandbox_run); nothing else of
        the profile is a parameter.
    type: dict
    default: {}
  run_root:
    description:
      - The parent of the run directories on the venue (root-owned, 0700).
      - An absolute, normalised path below C(/) (no C(.) or C(..) component, no C(//), no
        trailing C(/)), each component of letters, digits, C(.), C(_) and C(-).
    type: str
    default: /var/lib/sandbox-attest
  runtime:
    description:
      - The engine the script drives on the venue, as C(sandbox_attest_runtime) names it
        (settings_check's normalised C(runtime)); empty means C(docker).
      - C(podman) (rootful) renders the script for Podman - C(podman load) of the archive, the
        profile's podman argv, Podman's facts, snapshot templates (pods too) and event log, and
        each container's OCI spec kept before its removal - with nothing but POSIX C(sh),
        GNU coreutils and C(awk) on the venue, as for Docker.
    type: str
    choices: ["", docker, podman]
    default: docker
  probe_path:
    description:
      - Another probe binary, for tests only (a probe that hangs). By default the one
        shipped in the collection (C(files/sandbox-probe)); the verifier pins that one, so a
        packet made with another probe never verifies READY.
    type: path
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.seccomp_profile
  - sandbox.attest.attributes.actiongroup_controller
"""

EXAMPLES = r"""
- name: Render the packet for vps1
  sandbox.attest.packet_render:
    dest: "{{ playbook_dir }}/../packets"
    host: vps1
  register: packet

- name: Tell the reviewer which packet went out
  ansible.builtin.debug:
    msg: "{{ packet.tarball }} (packet sha256 {{ packet.packet_sha256 }})"
"""

RETURN = r"""
packet_sha256:
  description: The packet's digest, the sha256 of its C(SHA256SUMS); the bundle records it.
  returned: success
  type: str
packet_format:
  description: The packet format version of this collection's renderer; the packet and its
    bundle record it, and a verifier re-renders only packets of its own format.
  returned: success
  type: int
name:
  description: The packet directory's name.
  returned: success
  type: str
packet_dir:
  description: Where the packet directory is (or, in check mode, would be).
  returned: success
  type: str
tarball:
  description: Where the packet tarball is (or would be).
  returned: success
  type: str
files:
  description: Each packet file and its sha256.
  returned: success
  type: dict
image_id:
  description: The probe image ID the script loads and runs.
  returned: success
  type: str
probe_sha256:
  description: The probe binary's sha256.
  returned: success
  type: str
probe_path:
  description: The probe binary the image was made from.
  returned: success
  type: str
argv:
  description: Per identity, the C(docker create) argv the script runs, with C(${RUN_ID}) and
    C(${RUN_ROOT}) where the script puts its own run id and run root.
  returned: success
  type: dict
host:
  description: The venue name the bundle will claim.
  returned: success
  type: str
runtime:
  description: The engine the script drives on the venue, C(docker) or C(podman).
  returned: success
  type: str
  sample: podman
seccomp_profile:
  description: The seccomp profile.
  returned: success
  type: str
limits:
  description: The resolved limits.
  returned: success
  type: dict
run_root:
  description: The run root on the venue.
  returned: success
  type: str
"""
