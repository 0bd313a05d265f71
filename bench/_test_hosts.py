# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Molecule's test hosts for a bench, made and removed by Molecule's own playbooks.

molecule/_shared/create.yml and destroy.yml are plain playbooks over localhost whose only
inputs are the variables Molecule passes (its ephemeral directory, the platforms, the instance
config path) and MOLECULE_SCENARIO_NAME: given those here, the bench gets exactly the hosts a
scenario gets (the cached VPS image, sshd on loopback, its own inner engine, its own
machine-id, engine key and SSH host key, the host key pinned) without a scenario under
molecule/, which `make test` would run. Everything they make carries the label
sandbox.attest.test.ephemeral=<this bench's directory>, by which destroy.yml removes it.
"""

from __future__ import annotations

import json
import os
import subprocess

import yaml
from _common import PLAYBOOK, ROOT, ansible_env

SCENARIO = "bench"


class TestHosts:
    """`count` test hosts vps1..vpsN under `work`/molecule, approved and pinned in an
    inventory of the approved_host layout (inventory/hosts.yml and host_vars/)."""

    def __init__(self, work: str, count: int) -> None:
        self.work = work
        self.names = ["vps%d" % number for number in range(1, count + 1)]
        self.ephemeral = os.path.join(work, "molecule")
        self.state = os.path.join(self.ephemeral, "test-hosts")
        self.inventory = os.path.join(work, "ssh-inventory")
        # ssh's ControlPersist masters leave the playbook's process tree (they daemonise); they
        # are found by their control sockets, in this directory (short: a socket path has at
        # most 107 bytes).
        self.control_dir = os.path.join(work, "cp")

    def _molecule_vars(self) -> str:
        return json.dumps({
            "molecule_ephemeral_directory": self.ephemeral,
            # create.yml finds the VPS image's recipe beside the scenario directory.
            "molecule_scenario_directory": os.path.join(ROOT, "molecule", "attest"),
            "molecule_instance_config": os.path.join(self.ephemeral, "instance_config.yml"),
            "molecule_yml": {"platforms": [{"name": name} for name in self.names]},
            # Molecule's localhost runs on the runner's own Python; so does the bench's.
            "ansible_connection": "local",
            "ansible_python_interpreter": os.path.join(ROOT, ".venv", "bin", "python"),
        })

    def _playbook(self, name: str) -> subprocess.CompletedProcess:
        env = ansible_env(self.work)
        env["MOLECULE_SCENARIO_NAME"] = SCENARIO
        return subprocess.run(
            [PLAYBOOK, os.path.join(ROOT, "molecule", "_shared", name), "-i", "localhost,",
             "-e", self._molecule_vars()],
            cwd=ROOT, env=env, capture_output=True, text=True, timeout=1800, check=False)

    def create(self) -> None:
        os.makedirs(os.path.join(self.ephemeral, "inventory"), exist_ok=True)
        os.makedirs(self.control_dir, mode=0o700, exist_ok=True)
        proc = self._playbook("create.yml")
        if proc.returncode != 0:
            raise RuntimeError("create.yml failed: %s" % proc.stdout[-3000:])
        self._write_inventory()

    def destroy(self) -> None:
        if os.path.isdir(self.ephemeral):
            self._playbook("destroy.yml")

    def _write_inventory(self) -> None:
        """As inventories/approved_host: the group's connection settings (pipelining, connection
        reuse, strict host-key checking against the pinned key), one host_vars file per host."""
        with open(os.path.join(self.state, "hosts.json"), encoding="utf-8") as handle:
            hosts = {host["name"]: host for host in json.load(handle)}
        os.makedirs(os.path.join(self.inventory, "host_vars"), exist_ok=True)
        with open(os.path.join(ROOT, "inventories", "approved_host", "hosts.yml"),
                  encoding="utf-8") as handle:
            group_vars = yaml.safe_load(handle)["approved_venues"]["vars"]
        group_vars["ansible_ssh_common_args"] = " ".join((
            group_vars["ansible_ssh_common_args"].replace(
                "{{ inventory_dir }}/known_hosts", os.path.join(self.state, "known_hosts")),
            "-o IdentitiesOnly=yes"))
        group_vars["ansible_control_path_dir"] = self.control_dir
        inventory = {"approved_venues": {"hosts": {name: None for name in self.names},
                                         "vars": group_vars}}
        with open(os.path.join(self.inventory, "hosts.yml"), "w", encoding="utf-8") as handle:
            yaml.safe_dump(inventory, handle)
        for name in self.names:
            host = hosts[name]
            with open(os.path.join(self.inventory, "host_vars", "%s.yml" % name), "w",
                      encoding="utf-8") as handle:
                yaml.safe_dump({
                    "ansible_host": "127.0.0.1",
                    "ansible_port": host["port"],
                    "ansible_user": "attest",
                    "ansible_ssh_private_key_file": os.path.join(self.state, "id_ed25519"),
                    "sandbox_attest_venue_fingerprint": host["fingerprint"],
                    "sandbox_attest_venue_engine_id": host["engine_id"],
                    "sandbox_attest_venue_host_key": host["host_key"],
                }, handle)
