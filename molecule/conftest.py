"""Fixtures the Molecule scenarios' testinfra tests share.

A scenario's test host is reached by testinfra exactly as by the roles: over SSH on loopback,
key-based, host key pinned, root through sudo (Molecule passes its inventory). What create.yml
and prepare.yml learned through the console (`docker exec`) is read from the scenario's
ephemeral directory: the pinned fingerprint and engine ID, and the decoys' recorded state.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shlex
import subprocess
from pathlib import Path

import pytest

# These tests run only under Molecule's verify step (molecule/run.sh), never in a bare pytest.
if "MOLECULE_EPHEMERAL_DIRECTORY" not in os.environ:
    collect_ignore_glob = ["*"]

EPHEMERAL = Path(os.environ.get("MOLECULE_EPHEMERAL_DIRECTORY", "/nonexistent"))
PROJECT = Path(os.environ.get("MOLECULE_PROJECT_DIRECTORY", Path(__file__).resolve().parents[1]))
INVENTORY = EPHEMERAL / "inventory"
STATE = EPHEMERAL / "test-hosts"
RESULTS = EPHEMERAL / "results"
RUN_ROOT = "/var/lib/sandbox-attest"
RUN_ID = re.compile(r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$")
PROBE_IMAGE_LABEL = "sandbox.attest.probe-image"
RUN_ID_LABEL = "sandbox.attest.run-id"
DECOYS = ("decoy-web", "decoy-worker", "decoy-stopped")


def test_host(name: str) -> dict:
    """What create.yml read through the console for the host of that name."""
    hosts = json.loads((STATE / "hosts.json").read_text())
    return next(h for h in hosts if h["name"] == name)


def runtime_of(host) -> str:
    """The test host's runtime: docker, or podman on a Podman test host (create.yml)."""
    return test_host(hostname_of(host)).get("runtime", "docker")


def inner(host, *argv: str) -> str:
    """Run the host's own engine CLI (as root, through sudo) and return its output."""
    return host.check_output(" ".join(shlex.quote(a) for a in (runtime_of(host), *argv)))


def image_id(text: str) -> str:
    """An image ID as Docker prints it: Podman's inspect prints the hex without sha256:."""
    return text if text.startswith("sha256:") else "sha256:" + text


def inner_json(host, *argv: str):
    return json.loads(inner(host, *argv))


def inner_state(host) -> dict:
    """Everything the host's engine holds, and the run root's entries, by ID."""
    containers = inner(host, "ps", "--all", "--quiet", "--no-trunc").split()
    inspected = inner_json(host, "container", "inspect", *containers) if containers else []
    run_root = host.file(RUN_ROOT)
    return {
        "containers": {c["Id"]: c for c in inspected},
        "networks": set(inner(host, "network", "ls", "--quiet", "--no-trunc").split()),
        "volumes": set(inner(host, "volume", "ls", "--quiet").split()),
        "images": set(inner(host, "image", "ls", "--all", "--quiet", "--no-trunc").split()),
        "run_root": sorted(run_root.listdir()) if run_root.exists else None,
    }


def runner_identity() -> dict:
    """The runner's own venue fingerprint and engine ID (what a bundle must NOT carry)."""
    machine_id = Path("/etc/machine-id").read_text(encoding="ascii").strip()
    engine_id = subprocess.run(["docker", "info", "--format", "{{.ID}}"], capture_output=True,
                               text=True, check=True, timeout=60).stdout.strip()
    # The venue fingerprint's method (module_utils/_facts.py fingerprint_of), written out.
    machine_sha = hashlib.sha256(machine_id.encode()).hexdigest()
    digest = hashlib.sha256(("%s\n%s\n" % (machine_sha, engine_id)).encode()).hexdigest()
    return {"fingerprint": "sha256:" + digest, "engine_id": engine_id}


def run_playbook(playbook: str | Path, *args: str, inventory: str | Path = INVENTORY,
                 timeout: float = 900) -> subprocess.CompletedProcess:
    """ansible-playbook with Molecule's environment (its ansible.cfg, the homes run.sh set)."""
    argv = ["ansible-playbook", "-i", str(inventory), str(playbook), *args]
    env = dict(os.environ, ANSIBLE_NOCOLOR="1", ANSIBLE_FORCE_COLOR="0")
    return subprocess.run(argv, cwd=PROJECT, env=env, capture_output=True, text=True,
                          timeout=timeout, check=False)


def approved_venue(host: dict, key: str | Path, known_hosts: str | Path, *,
                   host_key_checking: bool = True) -> dict:
    """The inventory variables of a pinned test host as an approved venue, as
    inventories/approved_host sets them: over SSH on loopback with key and known_hosts files
    given, strict host-key checking, root through sudo, the pin read by create.yml."""
    venue = {
        "ansible_host": "127.0.0.1",
        "ansible_port": host["port"],
        "ansible_user": "attest",
        "ansible_ssh_private_key_file": str(key),
        "ansible_python_interpreter": "/usr/bin/python3",
        "ansible_become": True,
        "ansible_become_method": "ansible.builtin.sudo",
        "ansible_ssh_common_args": ("-o StrictHostKeyChecking=yes -o UserKnownHostsFile=%s "
                                    "-o GlobalKnownHostsFile=/dev/null -o IdentitiesOnly=yes"
                                    % known_hosts),
        "sandbox_attest_venue_fingerprint": host["fingerprint"],
        "sandbox_attest_venue_engine_id": host["engine_id"],
        "sandbox_attest_venue_host_key": host["host_key"],
    }
    if host_key_checking:
        venue["ansible_host_key_checking"] = True
    return venue


def record(**facts) -> None:
    """Keep figures for the humans reading a run (the ephemeral directory is pruned at
    destroy): .cache/molecule/reports/<scenario>.json, merged key by key."""
    path = PROJECT / ".cache" / "molecule" / "reports" / (
        "%s.json" % os.environ.get("MOLECULE_SCENARIO_NAME", "unknown"))
    path.parent.mkdir(parents=True, exist_ok=True)
    kept = json.loads(path.read_text()) if path.exists() else {}
    kept.update(facts)
    path.write_text(json.dumps(kept, indent=2, sort_keys=True) + "\n")


def hostname_of(host) -> str:
    return host.backend.get_hostname()


@pytest.fixture
def name(host) -> str:
    return hostname_of(host)


@pytest.fixture
def pinned(name) -> dict:
    """What create.yml read through the console for this host (pin, engine ID, host key)."""
    return test_host(name)


@pytest.fixture
def decoys_recorded(name) -> dict:
    return json.loads((STATE / ("decoys-%s.json" % name)).read_text())


@pytest.fixture
def result(name):
    """A role's hand-off saved by molecule/_shared/save_results.yml."""
    def load(fact: str) -> dict | list:
        return json.loads((RESULTS / ("%s-%s.json" % (name, fact))).read_text())
    return load


def assert_decoys_unchanged(host, recorded: dict) -> None:
    """The decoys are the same objects, in the same state, never restarted or reconfigured."""
    # Docker names a container "/name", Podman "name".
    now = {c["Name"].lstrip("/"): c for c in inner_json(host, "container", "inspect", *DECOYS)}
    for before in recorded["containers"]:
        after = now[before["Name"].lstrip("/")]
        for key in ("Id", "Image", "Config", "HostConfig", "RestartCount"):
            assert after[key] == before[key], "%s: %s changed" % (before["Name"], key)
        for key in ("Status", "Running", "Pid", "StartedAt", "FinishedAt"):
            assert after["State"][key] == before["State"][key], (
                "%s: State.%s changed" % (before["Name"], key))
    assert now["decoy-web"]["State"]["Running"] and now["decoy-worker"]["State"]["Running"]
    assert now["decoy-stopped"]["State"]["Status"] == "created"
    network = inner_json(host, "network", "inspect", "decoy-net")[0]
    if runtime_of(host) == "podman":
        # Podman's `id`; its networks do not list their members (docs/podman-facts.md).
        assert network["id"] == recorded["networks"][0]["id"]
        assert "Containers" not in network
    else:
        assert network["Id"] == recorded["networks"][0]["Id"]
        assert set(network["Containers"]) == set(recorded["networks"][0]["Containers"])
    volume = inner_json(host, "volume", "inspect", "decoy-data")[0]
    assert volume == recorded["volumes"][0]
    image = inner_json(host, "image", "inspect", "sandbox-attest-test/decoy:1")[0]
    assert image["Id"] == recorded["images"][0]["Id"]


def assert_nothing_of_a_run_left(host, recorded: dict) -> dict:
    """No run container, no run directory, no new network or volume; only the probe image may
    have been added (a labelled cache, by design). Returns the state read."""
    state = inner_state(host)
    assert set(state["containers"]) == {c["Id"] for c in recorded["containers"]}
    assert not [c for c in state["containers"].values()
                if RUN_ID_LABEL in (c["Config"]["Labels"] or {})]
    assert state["run_root"] in (None, []), state["run_root"]
    # The engine's own networks: Docker's none and host, Podman's default `podman`.
    own = ("podman",) if runtime_of(host) == "podman" else ("none", "host")
    names = {n: inner_json(host, "network", "inspect", n)[0] for n in state["networks"]}
    default_networks = {n for n, found in names.items()
                        if found.get("Name", found.get("name")) in own}
    # `network ls --quiet` prints Docker's IDs, Podman's names.
    decoy_net = recorded["networks"][0]
    listed_as = decoy_net["name"] if runtime_of(host) == "podman" else decoy_net["Id"]
    assert state["networks"] - default_networks == {listed_as}
    assert state["volumes"] == {recorded["volumes"][0]["Name"]}
    added = {image_id(i) for i in state["images"]} - {image_id(recorded["images"][0]["Id"])}
    for image in added:
        labels = inner_json(host, "image", "inspect", image)[0]["Config"]["Labels"] or {}
        assert labels.get(PROBE_IMAGE_LABEL) == "true", "unexpected image %s" % image
    return state
