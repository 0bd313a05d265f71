# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""Finding "run_records": the run's own records against the picture the run implies.

Closed world (issue 12): each identity's result.json is recomputed from its argv, container and
time bound (who it ran as, the exact command list sandbox_run and the packet run, removal);
fetch.json from the files that arrived; profile/profile.json from the shipped profile for its
limits; the engine CLI and run root from what settings allow. Every departure fails. The times
are checked by findings/_run_times.py, the engine facts by findings/_engine_facts.py.
"""

from __future__ import annotations

import hashlib
import posixpath
from typing import Any

from ansible_collections.sandbox.attest.plugins.module_utils import _profile
from ansible_collections.sandbox.attest.plugins.module_utils._sandbox_run import (
    recorded_commands,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle._format import (
    FETCH_NAME,
    FETCHED,
    OUT_DIR,
    identity_path,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._evidence import Evidence
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._expectations import (
    PROFILE,
    profile_limits,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._model import (
    FAIL,
    MISSING,
    PASS,
    Check,
    Finding,
)
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify._util import as_dict, dig, short
from ansible_collections.sandbox.attest.plugins.plugin_utils.verify.findings._provenance import (
    run_root_of,
)


def engine_cli_problem(cli: Any, runtime: str = "docker") -> str | None:
    """The engine CLI is the runtime's (`docker`, `podman`) on the PATH or an absolute,
    normalised path to one (the engine_cli setting; its directory follows the run root's path
    rule)."""
    if cli == runtime:
        return None
    if not isinstance(cli, str) or posixpath.basename(cli) != runtime:
        return "the engine CLI %s is not %s" % (short(cli, 80), runtime)
    problem = _profile.run_root_problem(posixpath.dirname(cli))
    return None if problem is None else "the engine CLI %s: its directory %s" % (
        short(cli, 80), problem)


def _result_problems(evidence: Evidence, identity: str, limits: dict[str, int] | None) -> list[
        str]:
    result = as_dict(evidence.identity_doc(identity, "result.json"))
    argv = evidence.identity_doc(identity, "argv.json")
    run_id = dig(evidence.doc("run.json"), "run_id")
    problems = []
    if result.get("identity") != identity:
        problems.append("identity %s in %s's record" % (short(result.get("identity")), identity))
    if result.get("user") != _profile.identity_user(identity):
        problems.append("user %s, the profile runs %s as %s" % (
            short(result.get("user")), identity, _profile.identity_user(identity)))
    try:
        name = _profile.container_name(run_id, identity)
    except _profile.ProfileError:
        name = None
    if result.get("container_name") != name:
        problems.append("container name %s, expected %s" % (
            short(result.get("container_name")), short(name)))
    if limits is None or result.get("timeout_s") != limits["timeout_s"]:
        problems.append("time bound %s s, the profile's is %s" % (
            short(result.get("timeout_s")), short(limits and limits["timeout_s"])))
    if result.get("removed") is not True:
        problems.append("the container was not removed (removed=%s)" % short(
            result.get("removed")))
    cid = result.get("container_id")
    if isinstance(argv, list) and argv and isinstance(cid, str):
        expected = recorded_commands(argv, cid, result.get("timed_out") is True)
        if result.get("commands") != expected:
            problems.append("the command list departs from the run's: %s" % short(
                _first_departure(result.get("commands"), expected), 300))
    else:
        problems.append("no argv or container ID to recompute the command list from")
    return problems


def _first_departure(commands: Any, expected: list[list[str]]) -> str:
    seen = commands if isinstance(commands, list) else []
    for index in range(max(len(seen), len(expected))):
        got = seen[index] if index < len(seen) else None
        want = expected[index] if index < len(expected) else None
        if got != want:
            return "command %d is %s, expected %s" % (index + 1, short(got, 120),
                                                      short(want, 120))
    return "none"


def _fetch_problems(evidence: Evidence, identity: str) -> list[str]:
    fetch = as_dict(evidence.identity_doc(identity, "fetch.json"))
    problems = []
    copied = [item for item in fetch.get("copied") or [] if isinstance(item, dict)]
    names = [item.get("name") for item in copied]
    if names not in ([], [FETCH_NAME]):
        problems.append("copied %s, the probe writes only %s" % (short(names), FETCHED))
    for item in copied:
        path = identity_path(identity, OUT_DIR + "/" + str(item.get("name")))
        data = evidence.bundle.data(path)
        if data is None:
            problems.append("%s was copied but is not in the bundle" % path)
        elif item.get("bytes") != len(data) or item.get("sha256") != hashlib.sha256(
                data).hexdigest():
            problems.append("%s: %s bytes, sha256 %s recorded; the file has %d bytes" % (
                path, short(item.get("bytes")), short(item.get("sha256"), 20), len(data)))
    if fetch.get("refused"):
        # Only the probe ran in the sandbox and it writes one file: anything else is unexplained.
        problems.append("out/ held what the probe does not write: %s" % short(
            fetch.get("refused"), 200))
    return problems


def _profile_problems(evidence: Evidence, limits: dict[str, int] | None) -> list[str]:
    document = evidence.doc("profile/profile.json")
    seccomp = dig(evidence.doc("run.json"), "seccomp_profile")
    if limits is None or seccomp not in _profile.SECCOMP_PROFILES:
        return ["no limits within bounds or no shipped seccomp profile to render it from"]
    expected = _profile.profile_document(seccomp, limits, runtime=evidence.runtime())
    differing = sorted(key for key in set(expected) | set(as_dict(document))
                       if as_dict(document).get(key) != expected.get(key))
    return ["%s differ from the shipped profile's rendering for its limits"
            % ", ".join(differing)] if differing else []


def _check(check_id: str, problems: list[str], what: str, refs: tuple[str, ...],
           identity: str | None = None) -> Check:
    if problems:
        return Check(check_id, FAIL, "%s: %s" % (what, "; ".join(problems)), identity,
                     refs=refs)
    return Check(check_id, PASS, "%s: as the run implies" % what, identity, refs=refs)


def check_run_records(evidence: Evidence, identities: list[str]) -> Finding:
    finding = Finding("run_records")
    # An identity with no evidence at all is the provenance finding's MISSING, not a record here.
    identities = [identity for identity in identities
                  if evidence.identity_doc(identity, "argv.json") is not None
                  or evidence.identity_doc(identity, "result.json") is not None]
    limits = profile_limits(evidence.doc(PROFILE))[0]
    finding.add(_check("profile_record", _profile_problems(evidence, limits),
                       "profile/profile.json", ("profile/profile.json",)))
    run_root, root_problem = run_root_of(evidence, identities)
    setting_problems = [root_problem] if root_problem else []
    if run_root is not None and _profile.run_root_problem(run_root) is not None:
        setting_problems.append("run root %s %s" % (short(run_root, 80),
                                                    _profile.run_root_problem(run_root)))
    for identity in identities:
        argv = evidence.identity_doc(identity, "argv.json")
        problem = engine_cli_problem(argv[0] if isinstance(argv, list) and argv else None,
                                     evidence.runtime())
        if problem:
            setting_problems.append("%s: %s" % (identity, problem))
    finding.add(_check("settings", setting_problems, "engine CLI and run root",
                       tuple(identity_path(i, "argv.json") for i in identities)))
    for identity in identities:
        result_path = identity_path(identity, "result.json")
        if evidence.identity_doc(identity, "result.json") is None:
            finding.add(Check("result_record", MISSING, "no result.json for %s" % identity,
                              identity, refs=(result_path,)))
            continue
        finding.add(_check("result_record", _result_problems(evidence, identity, limits),
                           result_path, (result_path,), identity))
        fetch_path = identity_path(identity, "fetch.json")
        if evidence.identity_doc(identity, "fetch.json") is None:
            finding.add(Check("fetch_record", MISSING, "no fetch.json for %s" % identity,
                              identity, refs=(fetch_path,)))
            continue
        finding.add(_check("fetch_record", _fetch_problems(evidence, identity), fetch_path,
                           (fetch_path,), identity))
    return finding
