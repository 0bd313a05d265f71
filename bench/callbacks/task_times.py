# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Where a playbook's wall time goes, task by task: bench/attest --profile enables it (the
benches' own callback, not shipped: ansible-core has no profile_tasks without ansible.posix)."""

from __future__ import annotations

import json
import os
import time

from ansible.plugins.callback import CallbackBase

DOCUMENTATION = r"""
name: task_times
type: aggregate
short_description: Write each task's wall time to the file in SANDBOX_ATTEST_TASK_TIMES
description:
  - Benches only (bench/attest --profile). A task's time runs from its start to the next
    task's start (or the play's end), so the gaps between tasks are counted where they fall.
"""


class CallbackModule(CallbackBase):
    CALLBACK_VERSION = 2.0
    CALLBACK_TYPE = "aggregate"
    CALLBACK_NAME = "task_times"
    CALLBACK_NEEDS_ENABLED = True

    def __init__(self) -> None:
        super().__init__()
        self._started = time.monotonic()
        self._current: tuple[str, float] | None = None
        self._times: list[list] = []

    def _close(self) -> None:
        now = time.monotonic()
        if self._current is not None:
            name, start = self._current
            self._times.append([name, round(now - start, 4)])
        self._current = None

    def _open(self, name: str) -> None:
        self._close()
        self._current = (name, time.monotonic())

    def v2_playbook_on_task_start(self, task, is_conditional) -> None:
        self._open(task.get_name())

    def v2_playbook_on_handler_task_start(self, task) -> None:
        self._open("handler: " + task.get_name())

    def v2_playbook_on_stats(self, stats) -> None:
        self._close()
        path = os.environ.get("SANDBOX_ATTEST_TASK_TIMES")
        if path:
            with open(path, "w", encoding="utf-8") as handle:
                json.dump({"total": round(time.monotonic() - self._started, 4),
                           "tasks": self._times}, handle)
