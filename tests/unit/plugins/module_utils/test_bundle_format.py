"""The facts of the bundle format that target modules share with the controller."""

from __future__ import annotations

import datetime

import yaml

from ansible_collections.sandbox.attest.plugins.module_utils import _bundle_format as fmt
from ansible_collections.sandbox.attest.plugins.modules import run_output


def test_the_run_id_pattern_length_and_time_format_agree() -> None:
    assert fmt.RUN_ID_PATTERN.pattern == r"^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$"
    made = "%s-%s" % (datetime.datetime(2026, 11, 28, 22, 31, 31).strftime(
        fmt.RUN_ID_TIME_FORMAT), "1a2b3c4d")
    assert fmt.RUN_ID_PATTERN.match(made) and len(made) == fmt.RUN_ID_LENGTH == 25
    assert fmt.run_id_time_parts() == [("digits", 8), ("literal", "T"), ("digits", 6),
                                       ("literal", "Z")]


def test_run_output_documents_the_fetch_bounds() -> None:
    # Its documentation is tested against its argument spec in tests/unit/plugins/modules/.
    options = yaml.safe_load(run_output.DOCUMENTATION)["options"]
    assert options["expected"]["default"] == [fmt.FETCH_NAME]
    assert options["max_bytes"]["default"] == fmt.FETCH_MAX_BYTES
    assert options["max_entries"]["default"] == fmt.FETCH_MAX_ENTRIES
