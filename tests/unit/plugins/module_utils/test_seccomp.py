"""The shipped seccomp profiles deny what they claim to and nothing is both allowed and denied."""

from __future__ import annotations

import json

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils import _json
from ansible_collections.sandbox.attest.plugins.module_utils import _seccomp as seccomp

MUST_DENY = ("ptrace", "process_vm_readv", "process_vm_writev", "mount", "umount2", "unshare",
             "setns", "keyctl", "add_key", "request_key", "bpf", "perf_event_open",
             "userfaultfd", "kexec_load", "kexec_file_load", "init_module", "open_by_handle_at")


def allowed(profile: dict) -> set[str]:
    return {name for rule in profile["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
            and "args" not in rule for name in rule["names"]}


@pytest.mark.parametrize("name", ["targeted-deny", "default-deny"])
def test_default_is_deny_and_dangerous_families_are_not_allowed(name: str) -> None:
    profile = seccomp.seccomp_profile(name)
    assert profile["defaultAction"] == "SCMP_ACT_ERRNO"
    assert not allowed(profile) & set(MUST_DENY)
    denied = {n for rule in profile["syscalls"] if rule["action"] == "SCMP_ACT_ERRNO"
              for n in rule["names"]}
    assert set(MUST_DENY) <= denied


@pytest.mark.parametrize("name", ["targeted-deny", "default-deny"])
def test_clone_cannot_make_namespaces(name: str) -> None:
    rules = [r for r in seccomp.seccomp_profile(name)["syscalls"] if r["names"] == ["clone"]]
    assert rules == [{"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [
        {"index": 0, "value": 0x7E020000, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"}]}]


def test_default_deny_is_narrower_than_targeted_deny() -> None:
    narrow = allowed(seccomp.seccomp_profile("default-deny"))
    broad = allowed(seccomp.seccomp_profile("targeted-deny"))
    assert narrow < broad


def test_canonical_json_is_stable_and_digest_differs_per_profile() -> None:
    text = _json.canonical_text(seccomp.seccomp_profile("targeted-deny"))
    assert json.loads(text) == seccomp.seccomp_profile("targeted-deny")
    assert " " not in text
    assert seccomp.seccomp_digest("targeted-deny") != seccomp.seccomp_digest("default-deny")


def test_unknown_profile_is_refused() -> None:
    with pytest.raises(KeyError):
        seccomp.seccomp_profile("unconfined")
