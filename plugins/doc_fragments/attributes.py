# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Shared attributes. Every module of this collection supports check mode fully and has no diff
mode; a module that differs states its own support, which takes precedence."""

from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: Can run in check_mode and return changed status prediction without modifying
      the target.
    support: full
  diff_mode:
    description: Will return details on what has changed (or possibly needs changing in
      check_mode), when in diff mode.
    support: none
"""

    # Modules that run on the controller (an action plugin does the work).
    ACTIONGROUP_CONTROLLER = r"""
options: {}
attributes:
  action:
    description: Indicates this has a corresponding action plugin so some parts of the
      options can be executed on the controller.
    support: full
  platform:
    description: Runs on the controller only; it opens no connection to the target.
    support: full
    platforms: posix
"""
