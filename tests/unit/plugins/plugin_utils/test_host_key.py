"""An approved venue whose SSH host key would not be checked against its pin is refused, with
the cause named. OpenSSH itself (`ssh -G`, which connects nowhere) says what the arguments
amount to."""

from __future__ import annotations

import shutil

import pytest

from ansible_collections.sandbox.attest.plugins.plugin_utils._host_key import (
    HostKeyError,
    check,
    ssh_option_argv,
)

pytestmark = pytest.mark.skipif(shutil.which("ssh") is None, reason="needs OpenSSH's client")

PINNED = "-o StrictHostKeyChecking=yes -o UserKnownHostsFile=/pinned/known_hosts"
# What ansible-runner puts in the job's environment unless the job sets it.
RUNNER_ENV = {"ANSIBLE_HOST_KEY_CHECKING": "False"}


def options(**changes) -> dict:
    return {"host": "192.0.2.10", "port": 22, "remote_user": "attest",
            "host_key_checking": True, "ssh_executable": "ssh",
            "ssh_args": "-C -o ControlMaster=auto -o ControlPersist=60s",
            "ssh_common_args": PINNED, **changes}


def test_a_pinned_inventory_with_checking_on_is_accepted() -> None:
    verdict = check("vps", "ssh", options(), RUNNER_ENV)
    assert verdict.strict_host_key_checking == "true"
    assert verdict.known_hosts.split()[0] == "/pinned/known_hosts"


def test_checking_off_under_ansible_runner_is_refused_naming_the_cause() -> None:
    # The measured flaw: StrictHostKeyChecking=no comes first and OpenSSH keeps it.
    argv = ssh_option_argv(options(host_key_checking=False), "ssh")
    assert argv.index("StrictHostKeyChecking=no") < argv.index("StrictHostKeyChecking=yes")
    with pytest.raises(HostKeyError) as caught:
        check("vps", "ssh", options(host_key_checking=False), RUNNER_ENV)
    message = str(caught.value)
    assert "host-key checking is off for approved venue vps" in message
    assert "ANSIBLE_HOST_KEY_CHECKING=False" in message and "ansible-runner" in message
    assert "ansible_host_key_checking: true" in message


@pytest.mark.parametrize("common, shown", [
    ("", "'ask'"),  # ssh's default: a human would be asked
    ("-o StrictHostKeyChecking=accept-new", "'accept-new'"),
    ("-o StrictHostKeyChecking=no " + PINNED, "'false'"),
])
def test_arguments_that_let_an_unpinned_key_in_are_refused(common, shown) -> None:
    with pytest.raises(HostKeyError, match="effective StrictHostKeyChecking .* is %s" % shown):
        check("vps", "ssh", options(ssh_common_args=common), {})


def test_extra_arguments_of_file_transfers_are_checked_too() -> None:
    with pytest.raises(HostKeyError, match="for its sftp connection is 'false'"):
        check("vps", "ssh", options(ssh_common_args="",
                                    ssh_extra_args="-o StrictHostKeyChecking=yes",
                                    sftp_extra_args="-o StrictHostKeyChecking=no"), {})


def test_local_is_the_controller_and_other_connections_are_refused() -> None:
    assert check("here", "local", {}, RUNNER_ENV).host_key_checking is None
    with pytest.raises(HostKeyError, match="over the 'paramiko' connection"):
        check("vps", "paramiko", options(), {})


def test_arguments_openssh_rejects_are_refused() -> None:
    with pytest.raises(HostKeyError, match="OpenSSH refused the connection's arguments"):
        check("vps", "ssh", options(ssh_common_args="-o NoSuchOption=1"), {})
