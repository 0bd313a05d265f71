"""Reading a Podman container's OCI spec before its removal (module_utils/_oci_spec.py): the
path is the engine's own `<storage>/<id>/userdata/config.json`, never a link, never unbounded."""

from __future__ import annotations

import json
import os

import pytest

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import (
    OCI_SPEC_MAX_BYTES,
)
from ansible_collections.sandbox.attest.plugins.module_utils._engine import EngineError
from ansible_collections.sandbox.attest.plugins.module_utils._oci_spec import read_spec, spec_path

CID = "1eb12791ac4543480674d3049d760ea1dd02b32ba300d93f0ade4e7f70df8354"
GOOD = "/var/lib/containers/storage/vfs-containers/%s/userdata/config.json" % CID


def test_the_engines_path_is_taken() -> None:
    assert spec_path([{"OCIConfigPath": GOOD}], CID) == GOOD


@pytest.mark.parametrize("path", [
    None, "", "relative/%s/userdata/config.json" % CID,
    "/var/lib/containers/storage/vfs-containers/%s/userdata/../userdata/config.json" % CID,
    "/var/lib/containers/storage/vfs-containers/%s/userdata/config.json" % ("0" * 64),
    "/etc/shadow", "/var/lib/containers/%s/config.json" % CID,
])
def test_any_other_path_is_refused(path) -> None:
    with pytest.raises(EngineError, match="OCIConfigPath"):
        spec_path([{"OCIConfigPath": path}] if path is not None else [{}], CID)


def test_the_spec_is_read_as_json(tmp_path) -> None:
    path = tmp_path / "config.json"
    path.write_text(json.dumps({"ociVersion": "1.0.2-dev"}))
    assert read_spec(str(path)) == {"ociVersion": "1.0.2-dev"}


def test_a_link_a_flood_or_not_an_object_is_refused(tmp_path) -> None:
    target = tmp_path / "target.json"
    target.write_text("{}")
    link = tmp_path / "config.json"
    os.symlink(target, link)
    with pytest.raises(EngineError, match="cannot open"):
        read_spec(str(link))
    big = tmp_path / "big.json"
    big.write_text('{"a": "%s"}' % ("x" * OCI_SPEC_MAX_BYTES))
    with pytest.raises(EngineError, match="over"):
        read_spec(str(big))
    listed = tmp_path / "list.json"
    listed.write_text("[]")
    with pytest.raises(EngineError, match="not a JSON object"):
        read_spec(str(listed))
