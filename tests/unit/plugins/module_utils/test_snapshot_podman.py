"""The podman snapshot (issue 18) read from real podman output: the templates' raw output for
the decoys of tests/podman/snapshot-decoys.sh, captured once in a Podman test host
(tests/unit/data/README.md, "A Podman test host's snapshot: podman-snapshot/")."""

from __future__ import annotations

import hashlib
import itertools
import json
import os

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot, _snapshot_podman
from ansible_collections.sandbox.attest.plugins.module_utils._engine import CliResult, EngineError

DATA = os.path.join(os.path.dirname(__file__), "..", "..", "data", "podman-snapshot")
DOCKER_KEYS = {"id", "name", "image", "image_id", "state", "started_at", "restart_count",
               "restart_policy", "run_id", "config_sha256", "health_cmd_sha256"}
# sha256 of the docker templates (kind, template; in KINDS order) as on main before issue 18:
# the docker snapshot must stay byte-identical.
DOCKER_TEMPLATES_SHA256 = "124682988311eb79ccad4deddb0243817eb89749f4e272e6cd3603d8cf2432e6"


def _read(name: str) -> str:
    with open(os.path.join(DATA, name), encoding="utf-8") as handle:
        return handle.read()


SECRET = _read("secret").strip()


def _by_name(objects: dict[str, dict]) -> dict[str, dict]:
    return {item["name"]: item for item in objects.values()}


def _parsed(kind: str) -> dict[str, dict]:
    return _snapshot.parse_batch(kind, _read("%s.txt" % kind), "podman")


def _independent_digest(lines: list[str]) -> str:
    """_snapshot's configuration digest, computed here from its definition: sha256 over the
    line digests (each line with its LF), the `c` line first, then `m` lines in byte order."""
    config = [line for line in lines if line.split(" ", 2)[1] == "c"]
    mounts = sorted(line for line in lines if line.split(" ", 2)[1] == "m")
    return hashlib.sha256("".join(hashlib.sha256((line + "\n").encode()).hexdigest() + "\n"
                                  for line in config + mounts).encode()).hexdigest()


def _lines_of(kind: str, key: str) -> list[str]:
    return [line for line in _read("%s.txt" % kind).splitlines() if line.startswith(key + " ")]


def test_the_captures_are_the_templates_output() -> None:
    """A changed template must be captured again: the data records the templates it ran."""
    recorded = json.loads(_read("templates.json"))
    assert recorded["podman"] == "podman version 4.3.1"
    assert recorded["template_sha256"] == {
        kind: _snapshot.sha256_hex(template)
        for kind, template in _snapshot_podman.TEMPLATES.items()}


def test_the_docker_templates_did_not_change() -> None:
    text = "".join(kind + "\n" + _snapshot.SNAPSHOT_TEMPLATES[kind] + "\n"
                   for kind in _snapshot.INSPECTED_KINDS)
    assert _snapshot.sha256_hex(text) == DOCKER_TEMPLATES_SHA256
    assert _snapshot.templates("docker") is _snapshot.SNAPSHOT_TEMPLATES


@pytest.mark.parametrize("kind", _snapshot_podman.INSPECTED_KINDS)
def test_every_digest_is_the_digest_of_the_captured_lines(kind: str) -> None:
    objects = _parsed(kind)
    assert objects
    for key, item in objects.items():
        assert item["config_sha256"] == _independent_digest(_lines_of(kind, key))


# The configuration digests of the captured decoys (kind, name). The built-in network `podman`
# and both volumes had these same digests in another test host made the same way (its
# `created` left out: it changes per command), as a configuration digest should.
GOLDEN = {
    ("container", "decoy-exited"):
        "0b4c967977400d765e1250758058c1b210de533b93f5cd4b3746f264bea3de6f",
    ("container", "decoy-health"):
        "47d78e64e761a4c29929c3b1ba4f02d8046207c3e9fe8d575428edc425b9246f",
    ("container", "decoy-mounts"):
        "a90dc0b9892c23ce41dd98c88c683110707972fd9f3086ddd569ebfef5acfcb9",
    ("container", "decoy-nolabels"):
        "c6ddef923a63b91f9221f347e010cd4d74c7e032fd3e698f101c89d1cdb6451d",
    ("container", "decoy-pod-one"):
        "329ed7df9eaa57e61ca0d83b9b425f418f49ff9dccd4111137c3ff853b2ee1fb",
    ("container", "decoy-pod-two"):
        "b1079b08c043adf3f480cc0073e7b8e664e87432e7c3fe7b412a8dcadd8bcbc7",
    ("pod", "decoy-pod"):
        "4dd988ccfad865e09e659f6efbd53bdfbfe0adad7bc969f38fb5ea56b9c962c0",
    ("network", "decoy-net-empty"):
        "5988d921f17b2ab3cbc625c381a66400129ea3ee9bb33921e9d412e6ba951887",
    ("network", "decoy-net-members"):
        "3ac2feb8c28903d9a1876dd01fe63907fb45feb45ff6452bf965a72c06a3bca8",
    ("network", "podman"):
        "acda84940bdd432142a4dbeafa8e09c66e40645b5bf8e66580d5bff3e210182b",
    ("volume", "decoy-vol-labelled"):
        "7fc4ff3473f5754d9d049ec3e216e7389eb0d0e3ce30b964d4de01dcf338d469",
    ("volume", "decoy-vol-plain"):
        "5a15cd70583bb650fea082921f0a623678cc335befa28cc52b6d1cfda41bd2a6",
}


def test_the_decoys_digests_are_the_recorded_ones() -> None:
    found = {(kind, item["name"]): item["config_sha256"]
             for kind in _snapshot_podman.INSPECTED_KINDS
             for item in _parsed(kind).values()}
    assert found == GOLDEN


def test_containers_keep_dockers_keys_with_podmans_values_normalised() -> None:
    containers = _by_name(_parsed("container"))
    assert set(containers) == {"decoy-mounts", "decoy-health", "decoy-nolabels", "decoy-exited",
                               "decoy-pod-one", "decoy-pod-two"}
    untagged = [image["id"] for image in _snapshot.parse_image_list(_read("image-list.txt"),
                                                                    set())
                if not image["tags"]]
    for name, item in containers.items():
        networks = item.pop(_snapshot._NETWORK_NAMES)
        assert set(item) == DOCKER_KEYS
        assert item["name"] == name                 # no leading "/" to cut
        assert item["image_id"] == untagged[0]      # "sha256:" added to podman's bare hex
        assert item["image"] == item["image_id"]    # created by ID: Config.Image names the ID
        assert item["restart_policy"] == "no"       # podman's "" normalised
        assert item["restart_count"] == 0
        assert item["run_id"] is None
        assert item["started_at"].endswith("Z")
        assert isinstance(networks, list)
    assert [containers[name]["state"] for name in ("decoy-mounts", "decoy-nolabels",
                                                   "decoy-exited")] == [
        "running", "created", "exited"]
    assert containers["decoy-nolabels"]["started_at"] == "0001-01-01T00:00:00Z"
    assert containers["decoy-exited"]["started_at"] != "0001-01-01T00:00:00Z"


def test_the_health_command_is_a_digest_of_the_line_podman_runs() -> None:
    containers = _by_name(_parsed("container"))
    health = containers["decoy-health"]
    line = '%s h "/bin/sh" "-c" "true" "--health" ' % health["id"]
    assert _lines_of("container", health["id"]).count(line) == 1
    assert health["health_cmd_sha256"] == hashlib.sha256((line + "\n").encode()).hexdigest()
    assert [name for name, item in containers.items() if item["health_cmd_sha256"]] == [
        "decoy-health"]


def test_the_pod_lists_its_two_containers_sorted() -> None:
    containers = _by_name(_parsed("container"))
    pods = list(_parsed("pod").values())
    assert len(pods) == 1
    pod = pods[0]
    assert pod["name"] == "decoy-pod"
    assert pod["state"] == "Running"                # Podman's pod states are capitalised
    assert pod["containers"] == sorted(containers[name]["id"]
                                       for name in ("decoy-pod-one", "decoy-pod-two"))
    assert pod["run_id"] is None


def _fake_engine(monkeypatch, captures: dict[str, str] | None = None) -> None:
    """run_cli answering podman's list and inspect calls from the captures."""
    captures = captures or {}

    def text(name: str) -> str:
        return captures.get(name, _read(name))

    def keys(kind: str) -> str:
        return "\n".join(sorted({line.split(" ", 1)[0]
                                 for line in text("%s.txt" % kind).splitlines()})) + "\n"

    def run_cli(argv: list[str], check: bool = True, **_kwargs) -> CliResult:
        assert argv[0] == "podman"
        rest = argv[1:]
        for kind in _snapshot_podman.INSPECTED_KINDS:
            if rest == _snapshot_podman.LIST_COMMANDS[kind]:
                return CliResult(argv, 0, keys(kind), "")
            if rest[:len(_snapshot_podman.INSPECT_COMMANDS[kind])] == \
                    _snapshot_podman.INSPECT_COMMANDS[kind]:
                return CliResult(argv, 0, text("%s.txt" % kind), "")
        if rest == _snapshot_podman.LIST_COMMANDS["image"]:
            return CliResult(argv, 0, text("image-list.txt"), "")
        if rest == _snapshot_podman.PROBE_IMAGE_LIST_COMMAND:
            return CliResult(argv, 0, text("probe-image-list.txt"), "")
        raise AssertionError("unexpected call %r" % argv)

    monkeypatch.setattr(_snapshot, "run_cli", run_cli)


def test_the_whole_snapshot_from_the_captures(monkeypatch) -> None:
    _fake_engine(monkeypatch)
    snapshot = _snapshot.take_snapshot("podman", "2026-11-30T00:00:00Z", "podman")
    assert snapshot["runtime"] == "podman"
    assert snapshot["format"] == _snapshot.SNAPSHOT_FORMAT
    assert snapshot["vanished"] == []
    assert [len(snapshot[kind + "s"]) for kind in _snapshot.PODMAN_KINDS] == [6, 1, 3, 2, 3]
    containers = {item["name"]: item for item in snapshot["containers"]}
    assert all(set(item) == DOCKER_KEYS for item in containers.values())
    networks = {item["name"]: item for item in snapshot["networks"]}
    assert networks["decoy-net-members"]["containers"] == [containers["decoy-health"]["id"]]
    assert networks["decoy-net-empty"]["containers"] == []
    # Containers of a pod without infra join the default network `podman` (measured).
    assert networks["podman"]["containers"] == sorted(
        containers[name]["id"] for name in ("decoy-pod-one", "decoy-pod-two"))
    volumes = {item["name"]: item for item in snapshot["volumes"]}
    assert set(volumes) == {"decoy-vol-labelled", "decoy-vol-plain"}
    images = {tuple(item["tags"]): item for item in snapshot["images"]}
    assert set(images) == {(), ("localhost/decoy/tagged:one", "localhost/decoy/tagged:two"),
                           ("localhost/sandbox-attest/probe:4159b99f5a1a",)}
    assert [item["probe_image"] for item in snapshot["images"]
            if item["tags"] and "probe" in item["tags"][0]] == [True]


def test_no_secret_of_a_container_leaves_the_target(monkeypatch) -> None:
    assert SECRET in _read("container.txt")         # in Env and CreateCommand, as printed
    _fake_engine(monkeypatch)
    snapshot = _snapshot.take_snapshot("podman", "2026-11-30T00:00:00Z", "podman")
    assert SECRET not in json.dumps(snapshot)
    assert "DECOY_SECRET" not in json.dumps(snapshot)


def test_shuffled_mount_lines_give_the_same_digest(monkeypatch) -> None:
    mounts = _by_name(_parsed("container"))["decoy-mounts"]
    lines = _lines_of("container", mounts["id"])
    mount_lines = [line for line in lines if line.split(" ", 2)[1] == "m"]
    assert len(mount_lines) == 4
    others = [line for line in _read("container.txt").splitlines()
              if not line.startswith(mounts["id"] + " ")]
    tail = lines[1 + len(mount_lines):]
    for order in itertools.permutations(mount_lines):   # all 24 orders
        text = "\n".join([*others, lines[0], *order, *tail]) + "\n"
        assert _snapshot.parse_batch("container", text, "podman")[mounts["id"]][
            "config_sha256"] == mounts["config_sha256"]
    fewer = "\n".join([lines[0], *mount_lines[1:], *tail]) + "\n"
    assert _snapshot.parse_batch("container", fewer, "podman")[mounts["id"]][
        "config_sha256"] != mounts["config_sha256"]


def test_a_container_gone_before_its_inspect_is_vanished(monkeypatch) -> None:
    """Podman's answer for a removed container in a batch (captured): rc 125, the others
    printed; the snapshot records it as vanished."""
    stderr = _read("vanished-stderr.txt")
    assert "no such container" in stderr
    _snapshot._fail_unless_vanished("container", CliResult([], 125, "", stderr), "podman")
    gone = "f" * 64

    def run_cli(argv: list[str], check: bool = True, **_kwargs) -> CliResult:
        if argv[1:] == _snapshot_podman.LIST_COMMANDS["container"]:
            return CliResult(argv, 0, "\n".join(_parsed("container")) + "\n" + gone + "\n", "")
        return CliResult(argv, 125, _read("container.txt"),
                         "Error: inspecting object: no such container %s\n" % gone)

    monkeypatch.setattr(_snapshot, "run_cli", run_cli)
    objects, vanished = _snapshot.snapshot_kind("podman", "container", "podman")
    assert vanished == [gone]
    assert len(objects) == 6


# Podman's warnings, as measured in the test host (docs/podman-facts.md sections 1 and 10).
WARNINGS = ('time="2026-11-30T10:49:08Z" level=warning msg="aardvark-dns binary not found, '
            'container dns will not be enabled"\n'
            'time="2026-11-30T10:49:08Z" level=warning msg="Error validating CNI config file '
            '/etc/cni/net.d/87-podman-bridge.conflist"\n')


def test_podmans_warnings_are_no_failure_but_a_template_error_is() -> None:
    _snapshot._fail_unless_vanished(
        "network", CliResult([], 125, "", WARNINGS + "Error: inspecting object: network x: "
                             "unable to find network with name or ID x: network not found\n"),
        "podman")
    with pytest.raises(EngineError, match="inspect of the containers failed"):
        _snapshot._fail_unless_vanished("container", CliResult(
            [], 125, "", "Error: template: inspect:1:13: executing \"inspect\" at <.Nope>: "
            "can't evaluate field Nope\n"), "podman")
    # Docker's judgement is unchanged: a line without a vanished mark is an error, as before.
    with pytest.raises(EngineError):
        _snapshot._fail_unless_vanished("container", CliResult([], 1, "", WARNINGS), "docker")


def test_a_podman_line_docker_never_prints_is_refused_for_docker() -> None:
    text = "%s n \"podman\"\n%s c {}\n%s i {\"id\":\"x\"\n" % (("a" * 64,) * 3)
    with pytest.raises(EngineError, match="unreadable"):
        _snapshot.parse_batch("container", text)
    assert _snapshot.parse_batch("container", text, "podman")["a" * 64][
        _snapshot._NETWORK_NAMES] == ["podman"]
