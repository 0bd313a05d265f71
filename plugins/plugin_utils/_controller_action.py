# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""What every action of this collection shares: it runs on the controller only (no connection,
no file transfer) and validates its arguments against its module's spec before anything else."""

from __future__ import annotations

from typing import Any, ClassVar

from ansible.plugins.action import ActionBase


class ControllerAction(ActionBase):
    TRANSFERS_FILES = False
    _requires_connection = False
    # The action's argument spec, also the one its documentation-only module is tested against.
    ARGUMENT_SPEC: ClassVar[dict[str, Any]] = {}

    def start(self, tmp: str | None, task_vars: dict[str, Any] | None,
              ) -> tuple[dict[str, Any], dict[str, Any]]:
        """(the base result, the validated arguments); an invalid argument fails the task."""
        result = super().run(tmp, task_vars)
        dummy, args = self.validate_argument_spec(argument_spec=self.ARGUMENT_SPEC)
        return result, args
