"""Runs inside a Podman test host, as root, with the collection's module_utils on PYTHONPATH
(tests/podman/snapshot-measure.sh copies them in; not part of `make test`). Python 3 of the
host (Debian's 3.11), standard library and module_utils only.

  snapshot_in_host.py capture DIR       the podman templates' raw output of every object, per
                                        kind, as _snapshot reads it, and the list outputs
  snapshot_in_host.py vanished DIR      one batched container inspect naming a removed container:
                                        podman's stderr and exit status, and what the snapshot
                                        makes of it
  snapshot_in_host.py lifecycle         a new container's configuration digest created, started,
                                        stopped, started again
  snapshot_in_host.py repeat N          take the podman snapshot N times; print one JSON line: per
                                        object the distinct records seen, and the times
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from ansible_collections.sandbox.attest.plugins.module_utils import _snapshot, _snapshot_podman

PODMAN = "podman"


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    return subprocess.run(argv, capture_output=True, text=True, check=False)


def _write(path: str, text: str) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(text)


def capture(out: str) -> None:
    """Each inspected kind's listed refs and one batched inspect with its template, byte for
    byte; the image list and the probe image list as _snapshot runs them."""
    os.makedirs(out, exist_ok=True)
    digests = {}
    for kind in _snapshot_podman.INSPECTED_KINDS:
        refs = _snapshot._list(PODMAN, kind, "podman")
        template = _snapshot_podman.TEMPLATES[kind]
        result = _run([PODMAN, *_snapshot_podman.INSPECT_COMMANDS[kind], "--format", template,
                       *refs])
        if result.returncode != 0:
            raise SystemExit("inspect of %ss failed: %s" % (kind, result.stderr))
        _write(os.path.join(out, "%s.txt" % kind), result.stdout)
        digests[kind] = _snapshot.sha256_hex(template)
    _write(os.path.join(out, "image-list.txt"),
           _run([PODMAN, *_snapshot_podman.LIST_COMMANDS["image"]]).stdout)
    _write(os.path.join(out, "probe-image-list.txt"),
           _run([PODMAN, *_snapshot_podman.PROBE_IMAGE_LIST_COMMAND]).stdout)
    version = _run([PODMAN, "--version"]).stdout.strip()
    _write(os.path.join(out, "templates.json"),
           json.dumps({"podman": version, "template_sha256": digests}, indent=1,
                      sort_keys=True) + "\n")


def vanished(out: str) -> None:
    """A container removed between list and inspect: podman's answer, and the snapshot's."""
    os.makedirs(out, exist_ok=True)
    image = _run([PODMAN, "images", "-q", "--filter", "dangling=true"]).stdout.split()[0]
    gone = _run([PODMAN, "create", "--network", "none", image, "true"]).stdout.strip()
    _run([PODMAN, "rm", gone])
    refs = sorted([*_snapshot._list(PODMAN, "container", "podman"), gone])
    result = _run([PODMAN, "container", "inspect", "--format",
                   _snapshot_podman.TEMPLATES["container"], *refs])
    _write(os.path.join(out, "vanished-stderr.txt"), result.stderr)
    text = _snapshot._inspect(PODMAN, "container", refs, "podman")
    found = _snapshot.parse_batch("container", text, "podman")
    print(json.dumps({"rc": result.returncode, "stderr": result.stderr.strip(),
                      "listed": len(refs), "read": len(found), "gone_read": gone in found}))


def _digest_of(ref: str) -> str:
    text = _snapshot._inspect(PODMAN, "container", [ref], "podman")
    return _snapshot.parse_batch("container", text, "podman")[ref]["config_sha256"]


def lifecycle() -> None:
    """A container's configuration digest created, after its first start, stopped, started
    again: Podman adds to its configuration at the first start (measured)."""
    image = _run([PODMAN, "images", "-q", "--no-trunc", "--filter", "dangling=true"]).stdout
    ref = _run([PODMAN, "create", "--network", "none", image.split()[0], "sleep",
                "infinity"]).stdout.strip()
    digests = {"created": _digest_of(ref)}
    for step, argv in (("started", ["start", ref]), ("stopped", ["stop", "-t", "0", ref]),
                       ("started_again", ["start", ref])):
        _run([PODMAN, *argv])
        digests[step] = _digest_of(ref)
    _run([PODMAN, "rm", "--force", ref])
    print(json.dumps({step: digest[:12] for step, digest in digests.items()}))


def repeat(count: int) -> None:
    """count snapshots: per object (kind:key) the distinct records (all fields but none left
    out) seen, and each snapshot's time."""
    seen: dict[str, set[str]] = {}
    times = []
    for number in range(count):
        started = time.monotonic()
        snapshot = _snapshot.take_snapshot(PODMAN, "2026-11-30T00:00:00Z", "podman")
        times.append(time.monotonic() - started)
        if snapshot["vanished"]:
            raise SystemExit("snapshot %d: vanished %s" % (number, snapshot["vanished"]))
        for kind in _snapshot.PODMAN_KINDS:
            for item in snapshot[kind + "s"]:
                key = "%s:%s" % (kind, item.get("id") or item.get("name"))
                seen.setdefault(key, set()).add(json.dumps(item, sort_keys=True))
    times.sort()
    print(json.dumps({
        "snapshots": count, "objects": len(seen),
        "per_kind": {kind: sum(1 for key in seen if key.startswith(kind + ":"))
                     for kind in _snapshot.PODMAN_KINDS},
        "objects_with_more_than_one_record": sorted(key for key, records in seen.items()
                                                    if len(records) > 1),
        "seconds": {"min": round(times[0], 3), "median": round(times[len(times) // 2], 3),
                    "max": round(times[-1], 3)}}, sort_keys=True))


def main(argv: list[str]) -> None:
    if len(argv) == 3 and argv[1] == "capture":
        capture(argv[2])
    elif len(argv) == 3 and argv[1] == "vanished":
        vanished(argv[2])
    elif len(argv) == 2 and argv[1] == "lifecycle":
        lifecycle()
    elif len(argv) == 3 and argv[1] == "repeat":
        repeat(int(argv[2]))
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
