# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The times a bundle records: parsing, and the bounds a real run's times keep.

Every time is UTC RFC 3339 to the second (docs/evidence-bundle.md); events and snapshots also
carry the engine host's clock in nanoseconds. A verifier's clock and a venue's differ a little,
so "not after the verification" allows CLOCK_SKEW_S; nothing else about time is lenient.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils._engine import TIME_FORMAT

_RFC3339_UTC = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?Z$")

# The venue's clock may run ahead of the verifier's by this much and no more.
CLOCK_SKEW_S = 300
# No bundle of this format was made before its format existed (a year 1970 is a forgery).
FORMAT_EPOCH = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)
# A whole run (two snapshots, two identities within their time bound, the fetch) takes minutes:
# a run window longer than this does not describe one run.
MAX_RUN_S = 6 * 3600
# The event log opens before the first snapshot and closes past the second: a quarter second
# past the target's clock (module_utils/_snapshot.events_until). The automated path records
# that close, rounded up, as run.json's finished_at; the packet takes finished_at (whole
# seconds) just before its read. Two seconds hold both.
EVENT_MARGIN_NS = 2_000_000_000


def parse_time(value: Any) -> datetime.datetime | None:
    """A UTC RFC 3339 time as an aware datetime (fraction dropped), or None."""
    if not isinstance(value, str) or not _RFC3339_UTC.match(value):
        return None
    try:
        return datetime.datetime.strptime(value[:19] + "Z", TIME_FORMAT).replace(
            tzinfo=datetime.UTC)
    except ValueError:
        return None


def to_ns(moment: datetime.datetime) -> int:
    return int(moment.timestamp()) * 1_000_000_000


def format_time(moment: datetime.datetime) -> str:
    return moment.strftime(TIME_FORMAT)
