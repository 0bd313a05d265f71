"""The verifier's own judgement of one probe run (tests and measurement tools only): each probe's
lines against data/expectations.yml for a runtime and identity, as findings/_probes judges a
bundle's. Used by the Podman and bubblewrap tests and tests/podman/probe_podman.py."""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils import _profile as profile
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._data import (
    load_expectations,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    Context,
    environment,
    probe_items,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._probes import (
    PASS,
    PROBE_ORDER,
    evaluate_probe,
    parse_output,
)


def judge(lines: dict, identity: str, runtime: str = "podman") -> dict[str, str]:
    """probe id -> the verifier's outcome, and its message when not PASS. lines: the run's
    probe lines by probe id, with the engine's inspect document (Id, Config.Hostname) under
    "inspect"."""
    inspect = lines["inspect"]
    return judge_output([line for key, line in lines.items() if key != "inspect"], identity,
                        runtime, hostname=inspect["Config"]["Hostname"],
                        container_id=inspect["Id"], dns=list(profile.dns_servers(runtime)))


def judge_output(lines: list, identity: str, runtime: str, *, hostname: str | None,
                 container_id: str | None, dns: list[str]) -> dict[str, str]:
    """As judge, with the context given: a sandbox without an engine (bubblewrap) has no
    inspect document and no resolver the profile renders."""
    expectations = load_expectations().document
    ctx = Context(container_hostname=hostname, container_id=container_id,
                  limits=profile.resolve_limits(),
                  environment=environment(expectations, runtime, identity), dns=dns)
    output = parse_output(lines)
    verdicts = {}
    for probe in PROBE_ORDER:
        check = evaluate_probe(probe, output,
                               probe_items(expectations, runtime, identity, "none", probe),
                               ctx, identity)
        verdicts[probe] = check.outcome if check.outcome == PASS else "%s: %s" % (
            check.outcome, check.message)
    return verdicts


def failing(verdicts: dict[str, str]) -> set[str]:
    return {probe for probe, verdict in verdicts.items() if verdict != PASS}
