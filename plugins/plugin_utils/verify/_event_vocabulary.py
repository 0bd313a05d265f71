# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Each runtime's words in engine/events.jsonl, as its event template prints them.

Docker's are module_utils/_snapshot.EVENT_TEMPLATE's; Podman's are its own statuses, kept as
Podman logs them (module_utils/_snapshot_podman.EVENT_TEMPLATE, measured: docs/podman-facts.md
section 12): `died` for Docker's `die`, `remove` for `destroy`, `init` and `cleanup` around
each run, `loadfromarchive` (no image ID, the archive's path as its name) for `load`; a network
event names no network ID, and no event carries an exec ID or a command.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    """What one runtime's event log says, and what a run of the profile makes it say."""

    types: frozenset[str]
    # Types whose actor is named by a full ID.
    id_types: frozenset[str]
    # Types whose events name a member container (`container`), and the actions that do not.
    member_types: frozenset[str]
    member_exempt: frozenset[str]
    exec_actions: frozenset[str]
    command_actions: frozenset[str]
    # A run container's events, in no order, and its events on the `none` network.
    run_container: tuple[str, ...]
    run_network: tuple[str, ...]
    created: str
    removed: str
    # The probe image's load: its action, and whether the event names the image by its ID
    # (Docker) or only by the archive's path (Podman).
    load: str
    load_names_image: bool
    # How the runtime lists a loaded image's short tag (Podman: under `localhost/`).
    local_tag_prefix: str
    # Whether an image event names the image by bare hex (Podman), where the snapshots key
    # images as `sha256:<hex>` (both runtimes).
    image_ids_bare: bool
    # How many events the engine replays at most (verify/_event_log.py), None without a limit:
    # Docker 20.10.24 gave back the last 256 of a 1,400-event window; Podman's read of its
    # event file (`--stream=false`) has none (300 of 300, a 513-line log whole;
    # docs/podman-facts.md section 12).
    replay_limit: int | None
    # Types whose objects' coming or going the log records by these actions.
    created_or_removed: dict[str, frozenset[str]]


DOCKER = Vocabulary(
    types=frozenset({"container", "network", "volume", "image", "daemon", "plugin", "node",
                     "service", "secret", "config"}),
    id_types=frozenset({"container", "network"}),
    member_types=frozenset({"network", "volume"}),
    member_exempt=frozenset({"create", "destroy"}),
    exec_actions=frozenset({"exec_create", "exec_start", "exec_die"}),
    command_actions=frozenset({"exec_create", "exec_start"}),
    run_container=("create", "start", "die", "destroy"),
    run_network=("connect", "disconnect"),
    created="create",
    removed="destroy",
    load="load",
    load_names_image=True,
    local_tag_prefix="",
    image_ids_bare=False,
    replay_limit=256,
    created_or_removed={kind: frozenset({"create", "destroy"})
                        for kind in ("container", "network", "volume")},
)

PODMAN = Vocabulary(
    types=frozenset({"container", "image", "pod", "volume", "network", "system", "machine",
                     "secret"}),
    id_types=frozenset({"container", "pod"}),
    # Only a network event names a container (by its full ID); the network has no ID there.
    member_types=frozenset({"network"}),
    member_exempt=frozenset(),
    exec_actions=frozenset(),
    command_actions=frozenset(),
    # --network none: Podman logs no network event for the run's containers (measured).
    run_container=("create", "init", "start", "died", "cleanup", "remove"),
    run_network=(),
    created="create",
    removed="remove",
    load="loadfromarchive",
    load_names_image=False,
    local_tag_prefix="localhost/",
    image_ids_bare=True,
    replay_limit=None,
    created_or_removed={kind: frozenset({"create", "remove"})
                        for kind in ("container", "volume", "pod")},
)

VOCABULARIES = {"docker": DOCKER, "podman": PODMAN}
