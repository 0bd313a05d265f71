"""The lived-in host fixture itself (tests/lived_in/lived_in.py) on the real engine: it makes every
kind it states, records every object it made, holds its secret where the state says, and its
removal leaves none of them - and nothing it did not make is touched, even by a name it was
about to use."""

from __future__ import annotations

import json
import os

from harness import docker, exists
from lived_in import (
    FIXTURE_LABEL,
    NON_ASCII,
    Engine,
    canonical_inspect,
    lived_in,
    remove,
)

BASE_ROLES = {
    "image": {"workload-multi-tag", "built", "intermediate", "dangling", "dangling-retagged",
              "retag-holder", "config-less"},
    "network": {"internal", "user-unlabelled", "compose-default"},
    "volume": {"labelled", "unlabelled", "tmpfs-opts", "compose-data"},
    "container": {"created", "running", "paused", "exited-3", "crash-loop", "healthy",
                  "unhealthy", "port-127", "binds-tmpfs", "netns-sharer", "internal-network",
                  "secret", "compose-web", "compose-worker"},
}
FORBIDDEN_LABELS = ("sandbox.attest.run-id", "sandbox.attest.probe-image")


def by_role(state: dict) -> dict[str, dict]:
    return {obj["role"]: obj for obj in state["objects"]}


def labels_of(obj: dict) -> dict:
    if obj["kind"] in ("container", "image"):
        field = "{{json .Config.Labels}}" if obj["kind"] == "container" else (
            "{{with .Config}}{{json .Labels}}{{else}}null{{end}}")
    else:
        field = "{{json .Labels}}"
    return json.loads(docker(obj["kind"], "inspect", "--format", field, obj["id"])) or {}


def test_it_makes_every_kind_records_all_and_removal_leaves_none(tmp_path) -> None:
    state_path = str(tmp_path / "state.json")
    engine = Engine()
    with lived_in(30, state_path) as state:
        roles = {kind: {o["role"] for o in state["objects"] if o["kind"] == kind}
                 for kind in BASE_ROLES}
        assert roles == BASE_ROLES
        assert 28 <= state["counts"]["total"] <= 36, state["counts"]
        for kind in BASE_ROLES:
            refs = [o["id"] for o in state["objects"] if o["kind"] == kind]
            assert engine.existing(kind, refs) == refs, kind
        for obj in state["objects"]:
            assert not set(FORBIDDEN_LABELS) & set(labels_of(obj)), obj

        made = by_role(state)
        status = {role: docker("inspect", "--format", "{{.State.Status}}", made[role]["id"])
                  .strip() for role in ("created", "running", "paused", "exited-3",
                                        "compose-web", "compose-worker")}
        assert status == {"created": "created", "running": "running", "paused": "paused",
                          "exited-3": "exited", "compose-web": "running",
                          "compose-worker": "exited"}
        health = {role: docker("inspect", "--format", "{{.State.Health.Status}}",
                               made[role]["id"]).strip() for role in ("healthy", "unhealthy")}
        assert health == {"healthy": "healthy", "unhealthy": "unhealthy"}
        assert int(docker("inspect", "--format", "{{.RestartCount}}",
                          made["crash-loop"]["id"])) >= 1
        assert docker("network", "inspect", "--format", "{{.Internal}}",
                      made["internal"]["id"]).strip() == "true"
        assert labels_of(made["workload-multi-tag"]) == {}
        assert json.loads(docker("image", "inspect", "--format", "{{json .Config}}",
                                 made["config-less"]["id"])) is None
        assert len(docker("image", "inspect", "--format", "{{json .RepoTags}}",
                          made["workload-multi-tag"]["id"]).split(",")) == 3
        assert labels_of(made["running"])["%s.note" % FIXTURE_LABEL] == NON_ASCII
        assert state["compose"]["method"] in ("docker-compose", "labels")

        secret = state["secret"]
        holder = canonical_inspect(secret["container"], "container")
        assert "%s=%s" % (secret["env"], secret["value"]) in holder["Config"]["Env"]
        assert holder["Config"]["Labels"][secret["label"]] == secret["value"]
        assert holder["State"]["Running"]

        # Five binds, a tmpfs volume: the raw .Mounts order flaps, the canonical form does not.
        binds = made["binds-tmpfs"]["id"]
        first = canonical_inspect(binds)
        assert len(first["Mounts"]) == 6
        assert all(canonical_inspect(binds) == first for attempt in range(10))
        scratch = state["scratch_dir"]
        assert os.path.isdir(scratch)

    for kind in BASE_ROLES:
        assert engine.existing(kind, [o["id"] for o in state["objects"] if o["kind"] == kind]) \
            == [], kind
    assert not os.path.exists(scratch)
    assert remove(state_path) == {kind: [] for kind in BASE_ROLES}  # idempotent


def test_a_cut_short_creation_is_found_by_its_exact_name_and_label_only(
        tmp_path, decoy_image) -> None:
    """A name recorded as pending (the program died mid-command) is removed only when the object
    under it carries this fixture's id; someone else's object of that name stays."""
    fixture_id = "li0badc0de"
    ours = docker("create", "--name", "lived-in-0badc0de-running-1", "--label",
                  "%s=%s" % (FIXTURE_LABEL, fixture_id), decoy_image).strip()
    theirs = docker("create", "--name", "lived-in-0badc0de-running-2", "--label",
                    "%s=someone-else" % FIXTURE_LABEL, decoy_image).strip()
    try:
        state = {"fixture_id": fixture_id, "objects": [], "scratch_dir": None,
                 "pending": [{"kind": "container", "name": "lived-in-0badc0de-running-1"},
                             {"kind": "container", "name": "lived-in-0badc0de-running-2"},
                             {"kind": "volume", "name": "lived-in-0badc0de-never-made-3"}]}
        remove(state)
        assert not exists(ours, "container")
        assert exists(theirs, "container")
    finally:
        docker("rm", "--force", ours, theirs, check=False)
