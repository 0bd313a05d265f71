"""The automated path's results become exactly the files the format knows."""

from __future__ import annotations

import base64
import json

from ansible_collections.sandbox.attest.plugins.module_utils._bundle_format import FETCH_NAME
from ansible_collections.sandbox.attest.plugins.module_utils._bundle_layout import layout
from ansible_collections.sandbox.attest.plugins.plugin_utils.bundle import _format as bundle


def _identity(identity: str, copied: bool) -> dict:
    argv = ["docker", "create", "--user", "65532:65532" if identity == "workload" else "0:0"]
    return {"identity": identity,
            "run": {"argv": argv, "profile": {"limits": {"timeout_s": 60}},
                    "seccomp_json": "{}", "stdout": "", "stderr": "", "inspect": []},
            "output": {"copied": [{"name": FETCH_NAME, "bytes": 3,
                                   "sha256": "0" * 64,
                                   "content_b64": base64.b64encode(b"ok\n").decode()}]
                       if copied else [], "refused": []}}


def test_layout_writes_the_formats_files_and_numbers() -> None:
    run = {"run_id": "20261128T223131Z-1a2b3c4d", "inventory_hostname": "h",
           "seccomp_profile": "targeted-deny", "image_id": "sha256:" + "c" * 64,
           "probe_sha256": "d" * 64, "started_at": "s", "finished_at": "f"}
    files = layout(run, {"fingerprint": "sha256:" + "e" * 64, "machine_id_sha256": "d" * 64,
                         "engine_id": "E"}, {}, {}, {}, [],
                   [_identity("workload", True), _identity("root", False)], {})
    # The venue's signature is added to these by module_utils/_venue_signature.seal.
    # A Docker run's results: no OCI spec (Podman's sandbox_run returns one).
    expected = bundle.known_paths(["workload", "root"]) - {
        bundle.MANIFEST, bundle.identity_path("root", bundle.FETCHED), *bundle.SIGNATURE_FILES,
        *(bundle.identity_path(i, bundle.OCI_SPEC) for i in ("workload", "root"))}
    assert set(files) == expected
    for path in (bundle.RUN, bundle.VENUE, bundle.identity_path("root", bundle.RESULT),
                 bundle.identity_path("root", bundle.FETCH)):
        assert json.loads(files[path])["format"] == bundle.BUNDLE_FORMAT
    assert json.loads(files[bundle.VENUE])["method"] == bundle.VENUE_METHOD
    assert json.loads(files[bundle.identity_path("root", bundle.RESULT)])["user"] == "0:0"
