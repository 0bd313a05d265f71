# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "probes": each probe's verdict recomputed from its raw observations.

The probe writes observations only (docs/probe-output.md); whatever else a line carries (a
"verdict" a forger added, say) is ignored. One check per identity and probe, plus one per
identity for the output as a whole (header, trailer count, duplicates).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import identity_path
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    Context,
    describe_expect,
    describe_observation,
    environment,
    expectation_problems,
    probe_items,
    security_module,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PARTIAL,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._times import parse_time
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import (
    as_dict,
    as_list,
    dig,
    inspect_doc,
    is_loopback,
    short,
    target_host,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._old_probes import (
    refusal,
    refused_by,
)

RESOLV_CONF = "/etc/resolv.conf"
PROBE_LINE_KEYS = frozenset({"probe", "obs"})
META_KEYS = frozenset({"probe", "format", "probe_version", "exe_sha256", "uid", "gid", "euid",
                       "pid", "hostname", "container_id", "time"})
END_KEYS = frozenset({"probe", "count", "elapsed_ms"})

# docs/probe-output.md, in output order.
PROBE_ORDER = (
    "PR-NET-1", "PR-NET-2", "PR-SOCK-1", "PR-ENV-1", "PR-FS-RO-IN", "PR-FS-ESC-1",
    "PR-FS-ESC-2", "PR-FS-OUT-OK", "PR-EXEC-1", "PR-MOUNT-1", "PR-SOCK-DOCKER", "PR-PTRACE-1",
    "PR-NETIF-1", "PR-CAPS-1", "PR-NNP-1", "PR-SECCOMP-1", "PR-USERNS-1", "PR-PIDS-1",
)


@dataclass
class ProbeOutput:
    """One identity's probe.jsonl, split into header, probe lines and trailer."""

    present: bool
    meta: dict[str, Any] | None = None
    end: dict[str, Any] | None = None
    lines: dict[str, dict[str, Any]] = field(default_factory=dict)
    duplicates: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    malformed: int = 0

    def observations(self, probe: str) -> list[dict[str, Any]] | None:
        line = self.lines.get(probe)
        if line is None:
            return None
        return [obs for obs in as_list(line.get("obs")) if isinstance(obs, dict)]

    def find(self, probe: str, op: str, target: str | None = None) -> list[dict[str, Any]]:
        return [obs for obs in self.observations(probe) or []
                if obs.get("op") == op and (target is None or obs.get("target") == target)]


# What a probe check observed when the probe left no observation to judge: a check failed with
# one of these is missing evidence, not a boundary that did not hold (verify/_verdict_language).
NO_OUTPUT = "(no output)"
NO_LINE = "(no line)"
NO_OBSERVATION = (NO_OUTPUT, NO_LINE)


def parse_output(lines: Any) -> ProbeOutput:
    if not isinstance(lines, list):
        return ProbeOutput(present=False)
    output = ProbeOutput(present=True)
    for line in lines:
        probe = line.get("probe") if isinstance(line, dict) else None
        if not isinstance(probe, str):
            output.malformed += 1
        elif probe == "META":
            if output.meta is not None:
                output.duplicates.append(probe)
            output.meta = line
        elif probe == "END":
            if output.end is not None:
                output.duplicates.append(probe)
            output.end = line
        elif probe in output.lines:
            # A second line for one probe makes the evidence ambiguous: never pick one.
            output.duplicates.append(probe)
        elif probe not in PROBE_ORDER:
            output.unknown.append(probe)
        else:
            output.lines[probe] = line
    return output


def outputs(evidence: Evidence, identities: list[str]) -> dict[str, ProbeOutput]:
    return {identity: parse_output(evidence.identity_doc(identity, "probe.jsonl"))
            for identity in identities}


def context_for(evidence: Evidence, identity: str, expectations: dict[str, Any],
                runtime: str) -> Context:
    inspect = inspect_doc(evidence.identity_doc(identity, "inspect.json"))
    limits = {key: value for key, value in as_dict(
        dig(evidence.doc("profile/profile.json"), "limits")).items()
        if isinstance(value, int) and not isinstance(value, bool)}
    hostname = dig(inspect, "Config", "Hostname")
    container_id = dig(inspect, "Id")
    dns = dig(evidence.doc("profile/profile.json"), "dns")
    return Context(
        container_hostname=hostname if isinstance(hostname, str) and hostname else None,
        container_id=container_id if isinstance(container_id, str) else None,
        limits=limits,
        environment=environment(expectations, runtime, identity),
        dns=dns if isinstance(dns, list) and dns else None,
    )


def _nameserver_targets(observations: list[dict[str, Any]]) -> list[str]:
    """The route-check target of each resolver the probe read (PR-NET-1: port 53 of each)."""
    read = [obs for obs in observations
            if obs.get("op") == "read" and obs.get("target") == RESOLV_CONF]
    servers = as_list(read[0].get("nameservers")) if len(read) == 1 else []
    return [("[%s]:53" if ":" in str(server) else "%s:53") % server for server in servers]


def _select(item: dict[str, Any], observations: list[dict[str, Any]]) -> list[dict[str, Any]]:
    chosen = [obs for obs in observations if obs.get("op") == item.get("op")]
    if "target" in item:
        chosen = [obs for obs in chosen if obs.get("target") == item["target"]]
    if item.get("target_class") == "non_loopback":
        chosen = [obs for obs in chosen if not is_loopback(target_host(obs.get("target")))]
    if item.get("target_class") == "nameserver":
        targets = _nameserver_targets(observations)
        chosen = [obs for obs in chosen if obs.get("target") in targets]
    return chosen


def _count_problem(item: dict[str, Any], chosen: list[dict[str, Any]],
                   observations: list[dict[str, Any]], label: str) -> str | None:
    count = item.get("count", "one")
    if count == "one" and len(chosen) != 1:
        return "%s: %s" % (label, "observation missing" if not chosen
                           else "%d observations, expected one" % len(chosen))
    if count == "each":
        # One observation per target of its class, none twice (PR-NET-1: per resolver).
        targets = sorted(_nameserver_targets(observations))
        seen = sorted(str(obs.get("target")) for obs in chosen)
        if seen != targets:
            return "%s: targets %s, expected one each of %s" % (label, short(seen),
                                                                short(targets))
    return None


def evaluate_item(item: dict[str, Any], observations: list[dict[str, Any]],
                  ctx: Context) -> list[str]:
    """Problems of one expectation item over one probe's observations (empty: it holds)."""
    chosen = _select(item, observations)
    label = "%s %s" % (item.get("op"), item.get("target") or item.get("target_class") or "")
    count_problem = _count_problem(item, chosen, observations, label.strip())
    if count_problem:
        return [count_problem]
    shapes = [as_dict(item["expect"])] if "expect" in item else [
        as_dict(shape) for shape in as_list(item.get("expect_any"))]
    if not shapes:
        return ["%s: the expectations data states nothing" % label.strip()]
    problems = []
    for obs in chosen:
        per_shape = [expectation_problems(shape, obs, ctx) for shape in shapes]
        if all(per_shape):
            target = obs.get("target")
            problems.append("%s %s: %s" % (item.get("op"), target, "; ".join(per_shape[0])))
    return problems


def evaluate_probe(probe: str, output: ProbeOutput, items: list[dict[str, Any]] | None,
                   ctx: Context, identity: str) -> Check:
    where = identity_path(identity, "probe.jsonl")
    refs = (where + "#" + probe,)
    expected = "; ".join(describe_expect(item) for item in items or [])
    if not output.present:
        return Check(probe, MISSING, "%s: no probe output for %s" % (probe, identity),
                     identity=identity, expected=expected, observed=NO_OUTPUT, refs=(where,))
    observations = output.observations(probe)
    if observations is None:
        truncated = output.end is None
        return Check(probe, MISSING if truncated else FAIL,
                     "%s: no line in %s's %s output" % (
                         probe, identity, "truncated" if truncated else "complete"),
                     identity=identity, expected=expected, observed=NO_LINE, refs=refs)
    observed = "; ".join("%s %s: %s" % (obs.get("op"), obs.get("target"),
                                        describe_observation(obs)) for obs in observations)
    if probe in output.duplicates:
        return Check(probe, FAIL, "%s: more than one line for %s" % (probe, identity),
                     identity=identity, expected=expected, observed=observed, refs=refs)
    if items is None:
        return Check(probe, FAIL, "%s: no expectation in the data for this runtime" % probe,
                     identity=identity, observed=observed, refs=refs)
    problems = [problem for item in items for problem in evaluate_item(item, observations, ctx)]
    problems.extend(_unexplained(output.lines[probe], items, observations))
    if problems:
        return Check(probe, FAIL, "%s as %s: %s" % (probe, identity, "; ".join(problems)),
                     identity=identity, expected=expected, observed=observed, refs=refs)
    return Check(probe, PASS, "%s as %s: as expected" % (probe, identity), identity=identity,
                 expected=expected, observed=observed, refs=refs)


def _unexplained(line: dict[str, Any], items: list[dict[str, Any]],
                 observations: list[dict[str, Any]]) -> list[str]:
    """What the probe's line says beyond what its expectations select: closed world."""
    problems = []
    extra_keys = sorted(str(key) for key in line if key not in PROBE_LINE_KEYS)
    if extra_keys:
        problems.append("unexpected line fields %s" % ", ".join(extra_keys))
    if len(observations) != len(as_list(line.get("obs"))):
        problems.append("observations that are not objects")
    selected = {id(obs) for item in items for obs in _select(item, observations)}
    for obs in observations:
        if id(obs) not in selected:
            problems.append("unexpected observation %s %s" % (
                short(obs.get("op")), short(obs.get("target"))))
    return problems


def _frame_problems(output: ProbeOutput, result: Any, probe: dict[str, Any]) -> list[str]:
    """The META header and END trailer against the shipped probe and the identity's run."""
    problems = []
    meta, end = output.meta or {}, output.end or {}
    for what, line, keys in (("META", meta, META_KEYS), ("END", end, END_KEYS)):
        extra = sorted(str(key) for key in line if key not in keys)
        if line and extra:
            problems.append("unexpected %s fields %s" % (what, ", ".join(extra)))
    if meta and meta.get("probe_version") != probe.get("version"):
        problems.append("probe version %s, the shipped probe is %s" % (
            short(meta.get("probe_version")), short(probe.get("version"))))
    if meta and meta.get("pid") != probe.get("pid"):
        problems.append("the probe ran as pid %s, expected %s (the container's first process)"
                        % (short(meta.get("pid")), short(probe.get("pid"))))
    started, finished = (parse_time(dig(result, key)) for key in ("started_at", "finished_at"))
    at = parse_time(meta.get("time"))
    if meta and (at is None or started is None or finished is None
                 or not started <= at <= finished):
        problems.append("META time %s is not within the run's %s..%s" % (
            short(meta.get("time")), short(dig(result, "started_at")),
            short(dig(result, "finished_at"))))
    elapsed, timeout = end.get("elapsed_ms"), dig(result, "timeout_s")
    if end and not (isinstance(elapsed, int) and isinstance(timeout, int)
                    and 0 <= elapsed <= timeout * 1000):
        problems.append("END elapsed_ms %s beyond the time bound" % short(elapsed))
    return problems


def _output_check(identity: str, output: ProbeOutput, result: Any,
                  probe: dict[str, Any]) -> Check:
    where = identity_path(identity, "probe.jsonl")
    if not output.present:
        return Check("probe_output", MISSING, "no probe output for %s" % identity,
                     identity=identity, refs=(where,))
    problems = _frame_problems(output, result, probe)
    if output.meta is None:
        problems.append("no META header")
    if output.duplicates:
        problems.append("duplicated lines: %s" % ", ".join(sorted(set(output.duplicates))))
    if output.unknown:
        problems.append("unknown probes: %s" % ", ".join(output.unknown))
    if output.malformed:
        problems.append("%d lines without a probe id" % output.malformed)
    count = dig(output.end, "count")
    if output.end is not None and count != len(output.lines) + len(output.unknown) + len(
            [d for d in output.duplicates if d not in ("META", "END")]):
        problems.append("END says %s probe lines, the output has %d"
                        % (count, len(output.lines)))
    if problems:
        return Check("probe_output", FAIL, "%s's probe output: %s"
                     % (identity, "; ".join(problems)), identity=identity, refs=(where,))
    timed_out = dig(result, "timed_out") is True
    exit_code = dig(result, "exit_code")
    if output.end is None or timed_out or exit_code != 0:
        why = "timed out" if timed_out else (
            "exit code %s" % exit_code if exit_code != 0 else "no END trailer")
        return Check("probe_output", MISSING, "%s's probe output is incomplete (%s)"
                     % (identity, why), identity=identity,
                     refs=(where, identity_path(identity, "result.json")))
    return Check("probe_output", PASS, "%s's probe output complete (%d probes)"
                 % (identity, len(output.lines)), identity=identity, refs=(where,))


def _refused_checks(identity: str, output: ProbeOutput, entry: dict[str, Any],
                    expectations: dict[str, Any]) -> list[Check]:
    """An earlier probe's output: refused with the reason, and no probe line judged."""
    where = identity_path(identity, "probe.jsonl")
    why = refusal(entry, expectations)
    checks = [Check("probe_output", PARTIAL, "%s's probe output %s" % (identity, why),
                    identity=identity, refs=(where + "#META",))]
    checks.extend(Check(probe, MISSING, "%s as %s: not judged (%s)" % (
        probe, identity, "made with sandbox-probe %s" % short(entry.get("version"), 20)),
        identity=identity, observed=NO_LINE if output.observations(probe) is None
        else "(not judged)", refs=(where + "#" + probe,)) for probe in PROBE_ORDER)
    return checks


def check_probes(evidence: Evidence, expectations: dict[str, Any], identities: list[str],
                 parsed: dict[str, ProbeOutput] | None = None) -> Finding:
    finding = Finding("probes")
    runtime = dig(evidence.doc("run.json"), "runtime")
    runtime = runtime if isinstance(runtime, str) else "docker"
    module = security_module(evidence.doc("engine/facts.json"))
    finding.extra["runtime"] = runtime
    finding.extra["security_module"] = module
    parsed = parsed if parsed is not None else outputs(evidence, identities)
    for identity in identities:
        output = parsed[identity]
        earlier = refused_by(expectations, "version", dig(output.meta, "probe_version"))
        if earlier is not None:
            for check in _refused_checks(identity, output, earlier, expectations):
                finding.add(check)
            continue
        finding.add(_output_check(identity, output,
                                  evidence.identity_doc(identity, "result.json"),
                                  as_dict(expectations.get("probe"))))
        ctx = context_for(evidence, identity, expectations, runtime)
        for probe in PROBE_ORDER:
            items = probe_items(expectations, runtime, identity, module, probe)
            finding.add(evaluate_probe(probe, output, items, ctx, identity))
    return finding
