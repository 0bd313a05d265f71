# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""A container's exec events are its own health check's, exec by exec (docs/host-activity.md).

The engine logs one exec as exec_create, exec_start and exec_die, under one exec ID and in that
order (each follows from the one before: the API creates, then starts, and the process exits);
the health monitor runs one check at a time, and waits for it to end before the next interval.
So the window's exec events of a health-checked container are whole triples, except the first
exec, which may have begun before the log opened (its create, or create and start, missing),
and the last, which may still run when it closed (its start and die, or die, missing). The
create and start carry the command's digest, which must be the health command's. An exec ID
edited in one event, a lone exec_start in the middle, a die before its start: not the engine's
record of a health check.
"""

from __future__ import annotations

from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import short

EXEC_ORDER = ("exec_create", "exec_start", "exec_die")
EXEC_ACTIONS = frozenset(EXEC_ORDER)
# The template prints the exec's command (as its digest) on these.
COMMAND_ACTIONS = frozenset(EXEC_ORDER[:2])


def _pieces(execs: list[dict[str, Any]]) -> list[tuple[str, list[str]]]:
    """(exec ID, its actions in time order), in the order each exec first appears."""
    pieces: dict[str, list[str]] = {}
    for event in sorted(execs, key=lambda e: e.get("time_nano") or 0):
        pieces.setdefault(str(event.get("exec_id")), []).append(str(event.get("action")))
    return list(pieces.items())


def _is_slice(actions: list[str]) -> bool:
    """Whether the actions are a contiguous part of create, start, die, each once."""
    for begin in range(len(EXEC_ORDER)):
        if tuple(actions) == EXEC_ORDER[begin:begin + len(actions)]:
            return True
    return False


def health_exec_problem(execs: list[dict[str, Any]], health: Any) -> str | None:
    """Why these exec events (one container's, in the window) are not its health check's runs,
    or None when they are."""
    if not execs:
        return None
    if not isinstance(health, str):
        return "exec events on a container without a health check"
    for event in execs:
        if event.get("action") in COMMAND_ACTIONS and event.get("command_sha256") != health:
            return "%s of a command (%s) other than its health check" % (
                event.get("action"), short(event.get("command_sha256"), 16))
    pieces = _pieces(execs)
    last = len(pieces) - 1
    for number, (exec_id, actions) in enumerate(pieces):
        label = "exec %s (%s)" % (short(exec_id, 16), ", ".join(actions))
        if not _is_slice(actions):
            return "%s is not one exec's create, start and die in order" % label
        if actions[0] != EXEC_ORDER[0] and number != 0:
            # Only the first exec may have begun before the log opened.
            return "%s lacks its exec_create, and is not the first exec in the window" % label
        if actions[-1] != EXEC_ORDER[-1] and number != last:
            # Only the last exec may still run when the log closed.
            return "%s lacks its exec_die, and is not the last exec in the window" % label
    return None


def health_exec_count(execs: list[dict[str, Any]]) -> int:
    return sum(1 for event in execs if event.get("action") in EXEC_ACTIONS)
