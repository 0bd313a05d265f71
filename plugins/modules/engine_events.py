#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: engine_events
short_description: Read the engine's event log for a time window, scrubbed, read-only
version_added: 0.1.0
description:
  - Returns the engine's events between O(since) and O(until), keeping only time, type,
    action (cut at the first colon, since exec events carry the command after it), object ID
    and name. The scrubbing happens in the engine's own C(--format) template (shared with the
    operator packet), so labels and other attributes of foreign objects never leave the engine.
  - With O(follow=start), it starts a follower of the log instead, from O(since), detached
    (its own session), that keeps its stop file and result in O(follow_dir), the run directory,
    and returns at once; O(follow=collect) stops it and returns its events. The engine replays
    at most its last 256 events, so a busy window read once at its end may have lost its first
    ones; a follower streams them as they happen. It ends on its own when O(follow_dir) is
    removed (the cleanup of a failed or interrupted run) or O(follow_for) passes.
  - With O(follow=start) and O(run_id) instead of O(follow_dir), it makes the run directory
    first (as M(sandbox.attest.run_dir) does, the one maker) and follows into it - one call to
    the target where two were made.
  - With O(snapshot), it first takes the engine's digest-only snapshot, as
    M(sandbox.attest.engine_snapshot) does, and then reads or collects the events - the run's
    after-snapshot and the close of its window in one call to the target.
  - Changes nothing but the follower's files in O(follow_dir) (and the run directory it makes);
    supports check mode (a follower is then not started, nor a directory made).
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  since:
    description: Start of the window, RFC 3339 UTC. Required unless O(follow=collect).
    type: str
  until:
    description:
      - End of the window, RFC 3339 UTC or Unix seconds (with a fraction); with
        O(runtime=podman), Unix seconds only (Podman's read is not cut at the end of the
        window, so the module waits until it has passed and keeps the events up to it).
      - Omitted, the window closes now by the target's own clock (the engine's), a quarter
        of a second past, and the read waits that long.
    type: str
  follow:
    description:
      - C(start) a follower of the log in O(follow_dir), or C(collect) what it followed.
      - Omitted, the log of the window is read once.
    type: str
    choices: [start, collect]
  follow_dir:
    description:
      - With O(follow), the run directory (it must exist). Required with O(follow=collect);
        with O(follow=start), this or O(run_id).
    type: path
  run_id:
    description:
      - With O(follow=start), the run whose directory under O(run_root) is made (as
        M(sandbox.attest.run_dir) makes it) and followed into, instead of O(follow_dir).
    type: str
  run_root:
    description: With O(run_id), the parent of the run directories.
    type: path
    default: /var/lib/sandbox-attest
  snapshot:
    description:
      - Take the engine's digest-only snapshot (RV(snapshot_json)) before the events are read
        or collected. Not with O(follow=start).
    type: bool
    default: false
  follow_for:
    description: With O(follow=start), the longest the follower waits to be collected, in seconds.
    type: int
    default: 7200
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
  - sandbox.attest.options.runtime
"""

EXAMPLES = r"""
- name: Read the events of the run window
  sandbox.attest.engine_events:
    since: "2026-11-28T22:31:31Z"
    until: "2026-11-28T22:31:40Z"
  register: events

- name: Follow the event log while the run lasts
  sandbox.attest.engine_events:
    since: "2026-11-28T22:31:31Z"
    follow: start
    follow_dir: /var/tmp/sandbox-attest/20261128T223131Z-0123abcd

- name: Collect the followed event log when the window closes
  sandbox.attest.engine_events:
    follow: collect
    follow_dir: /var/tmp/sandbox-attest/20261128T223131Z-0123abcd
  register: events
"""

RETURN = r"""
until:
  description: The end of the window as given to the engine.
  returned: success
  type: str
  sample: "1795987309.950000000"
closes_at:
  description:
    - The close of the run window that holds every event read, by the target's clock in the
      collection's time format (whole seconds, rounded up from O(until)); run.json records it
      as finished_at.
    - Null when O(until) was given.
  returned: success
  type: str
  sample: "2026-11-28T22:31:41Z"
started:
  description: With O(follow=start), whether a follower was started (not in check mode).
  returned: when O(follow=start)
  type: bool
pid:
  description: With O(follow=start), the follower's process ID.
  returned: when a follower was started
  type: int
follow_dir:
  description: With O(follow=start), the run directory the follower keeps to.
  returned: when O(follow=start)
  type: str
snapshot_json:
  description:
    - With O(snapshot), the snapshot taken before the events were read, as
      M(sandbox.attest.engine_snapshot) returns it (canonical JSON text).
  returned: when O(snapshot)
  type: str
replayed:
  description:
    - How many of the events the engine replayed from its log (at most its last 256) rather
      than streamed as they happened; all of them when the log was read once. As many as the
      engine replays, the window's oldest events may be lost.
  returned: success
  type: int
  sample: 12
events:
  description: The scrubbed events, oldest first.
  returned: success
  type: list
  elements: dict
  sample: [{"time_nano": 1, "type": "container", "action": "create", "id": "ab12", "name": "x",
            "container": null, "exec_id": null, "command_sha256": null}]
"""


import os
import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
    utc_now,
)
from ansible_collections.sandbox.attest.plugins.module_utils._event_follow import (
    collect,
    start_follower,
)
from ansible_collections.sandbox.attest.plugins.module_utils._json import canonical_text
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    RUN_ROOT,
    RUNTIME,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._profile import ProfileError
from ansible_collections.sandbox.attest.plugins.module_utils._run_dir import (
    RunDirError,
    make,
    planned,
)
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import (
    events_in_window,
    events_read_argv,
    events_until,
    events_until_ns,
    ns_of_text,
    ns_text,
    scrub_event_line,
    take_snapshot,
    window_closes_at,
)

# The longest a one-off Podman read waits for its until (Docker's read is bounded by its 60 s
# timeout); the window the module closes itself is a quarter of a second ahead.
PODMAN_UNTIL_AHEAD_MAX_S = 60


def read_window(engine_cli: str, since: str, until: str, runtime: str) -> list[str]:
    """The event log from since to until, read once. Docker ends the read at until. Podman's
    read is not cut by it (_snapshot.events_read_argv): until must have passed before the
    read, and it is applied to each line's time; so with Podman, until is seconds.nanoseconds
    since the epoch (as this module returns it)."""
    if runtime != "podman":
        return run_cli(events_read_argv(engine_cli, since, until), timeout=60).stdout.splitlines()
    try:
        until_ns = ns_of_text(until)
    except ValueError:
        raise ValueError("with runtime podman, until must be seconds.nanoseconds since the "
                         "epoch, got %r" % until) from None
    ahead_s = (until_ns - time.time_ns()) / 1e9
    if ahead_s > PODMAN_UNTIL_AHEAD_MAX_S:
        raise ValueError("with runtime podman, until is waited for: %.0f s ahead of the "
                         "target's clock is more than %d s" % (ahead_s, PODMAN_UNTIL_AHEAD_MAX_S))
    while time.time_ns() <= until_ns:
        time.sleep(min(0.05, max(0.0, (until_ns - time.time_ns()) / 1e9)))
    read = run_cli(events_read_argv(engine_cli, since, until, runtime), timeout=60)
    return events_in_window(read.stdout.splitlines(), until_ns, runtime)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            ENGINE_CLI, RUNTIME, RUN_ROOT,
            since=dict(type="str"),
            until=dict(type="str"),
            follow=dict(type="str", choices=["start", "collect"]),
            follow_dir=dict(type="path"),
            run_id=dict(type="str"),
            follow_for=dict(type="int", default=7200),
            snapshot=dict(type="bool", default=False),
        ),
        required_if=[("follow", "start", ("since",)),
                     ("follow", "start", ("follow_dir", "run_id"), True),
                     ("follow", "collect", ("follow_dir",))],
        mutually_exclusive=[("follow", "until"), ("follow_dir", "run_id")],
        supports_check_mode=True,
    )
    params = module.params
    runtime = params["runtime"]
    if params["follow"] is None and not params["since"]:
        module.fail_json(msg="since is required unless follow=collect")
    if params["run_id"] and params["follow"] != "start":
        module.fail_json(msg="run_id is for follow=start only")
    if params["follow"] == "start":
        if params["snapshot"]:
            module.fail_json(msg="snapshot is not for follow=start")
        start(module)
    closes_at = None
    until = params["until"]
    snapshot = {}
    if params["snapshot"]:
        # Before the read: the window then closes after the snapshot, so every event of what
        # the snapshot shows is inside it.
        try:
            snapshot["snapshot_json"] = canonical_text(take_snapshot(
                params["engine_cli"], utc_now(), runtime))
        except EngineError as exc:
            module.fail_json(msg="snapshot failed: %s" % exc)
    try:
        if params["follow"] == "collect":
            lines, replayed, until_ns = collect(params["follow_dir"])
            until, closes_at = ns_text(until_ns), window_closes_at(until_ns)
        else:
            if not until:
                now_ns = time.time_ns()
                until, closes_at = events_until(now_ns), window_closes_at(events_until_ns(now_ns))
            lines = read_window(params["engine_cli"], params["since"], until, runtime)
            replayed = None
    except (EngineError, OSError, ValueError, KeyError) as exc:
        module.fail_json(msg="reading the event log failed: %s" % exc)
    events = []
    for line in lines:
        if line.strip():
            try:
                events.append(scrub_event_line(line, runtime))
            except (ValueError, TypeError, AttributeError):
                module.fail_json(msg="the engine printed an unreadable event line")
    module.exit_json(changed=False, until=until, closes_at=closes_at, events=events,
                     replayed=len(events) if replayed is None else replayed, **snapshot)


def start(module: AnsibleModule) -> None:
    """follow=start: the follower, in the run directory given or made here."""
    params = module.params
    made = False
    try:
        if params["run_id"]:
            follow_dir = planned(params["run_root"], params["run_id"])
            made = not os.path.lexists(follow_dir)
            if not module.check_mode:
                make(params["run_root"], params["run_id"])
        else:
            follow_dir = params["follow_dir"]
    except (ProfileError, RunDirError, OSError) as exc:
        module.fail_json(msg="the run directory of %s cannot be made: %s" % (
            params["run_id"], exc))
    if module.check_mode:
        module.exit_json(changed=False, started=False, follow_dir=follow_dir)
    try:
        pid = start_follower(params["engine_cli"], params["since"], follow_dir,
                             time.time_ns() + params["follow_for"] * 1_000_000_000,
                             params["runtime"])
    except (EngineError, OSError) as exc:
        module.fail_json(msg="starting the event follower failed: %s" % exc)
    module.exit_json(changed=made, started=True, pid=pid,
                     follow_dir=follow_dir)


if __name__ == "__main__":
    main()
