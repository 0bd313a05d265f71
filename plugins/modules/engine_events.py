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
  - Changes nothing; supports check mode.
author:
  - sandbox.attest contributors (@sandbox-attest)
options:
  since:
    description: Start of the window, RFC 3339 UTC.
    type: str
    required: true
  until:
    description:
      - End of the window, RFC 3339 UTC or Unix seconds (with a fraction).
      - Omitted, the window closes now by the target's own clock (the engine's), a quarter
        of a second past, and the read waits that long.
    type: str
extends_documentation_fragment:
  - sandbox.attest.attributes
  - sandbox.attest.options.engine_cli
"""

EXAMPLES = r"""
- name: Read the events of the run window
  sandbox.attest.engine_events:
    since: "2026-11-28T22:31:31Z"
    until: "2026-11-28T22:31:40Z"
  register: events
"""

RETURN = r"""
until:
  description: The end of the window as given to the engine.
  returned: success
  type: str
  sample: "1795987309.950000000"
events:
  description: The scrubbed events, oldest first.
  returned: success
  type: list
  elements: dict
  sample: [{"time_nano": 1, "type": "container", "action": "create", "id": "ab12", "name": "x",
            "container": null, "exec_id": null, "command_sha256": null}]
"""


import time

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.sandbox.attest.plugins.module_utils._engine import (
    EngineError,
    run_cli,
)
from ansible_collections.sandbox.attest.plugins.module_utils._options import (
    ENGINE_CLI,
    argument_spec,
)
from ansible_collections.sandbox.attest.plugins.module_utils._snapshot import (
    EVENT_TEMPLATE,
    events_until,
    scrub_event_line,
)


def main() -> None:
    module = AnsibleModule(
        argument_spec=argument_spec(
            ENGINE_CLI,
            since=dict(type="str", required=True),
            until=dict(type="str"),
        ),
        supports_check_mode=True,
    )
    until = module.params["until"] or events_until(time.time_ns())
    argv = [module.params["engine_cli"], "events", "--since", module.params["since"],
            "--until", until, "--format", EVENT_TEMPLATE]
    try:
        result = run_cli(argv, timeout=60)
    except EngineError as exc:
        module.fail_json(msg="reading the event log failed: %s" % exc)
    events = []
    for line in result.stdout.splitlines():
        if line.strip():
            try:
                events.append(scrub_event_line(line))
            except (ValueError, TypeError, AttributeError):
                module.fail_json(msg="the engine printed an unreadable event line")
    module.exit_json(changed=False, until=until, events=events)


if __name__ == "__main__":
    main()
