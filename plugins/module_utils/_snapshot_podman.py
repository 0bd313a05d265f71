# -*- coding: utf-8 -*-
# Copyright (c) sandbox.attest contributors
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
"""The snapshot's templates and list commands for rootful Podman (issue 18).

The lines, digests and rules are _snapshot's (see there); only what Podman prints differs.
Measured with Debian's podman 4.3.1 in the Podman test host (docs/podman-facts.md, section
"Snapshots under Podman"):

- `podman inspect --format` prints no LF after an object (Docker's CLI does): each template
  ends its identifying line with one.
- `podman inspect --format` runs the template on Podman's typed structures and has no raw
  fallback: `index . "Id"` fails ("can't index item of type
  entities.ContainerInspectReport"), so these templates read fields (`.ID`, `.Config.Labels`).
  A field the structure lacks fails the template loudly; a nil pointer or map is skipped by
  `with`, and `index` of a nil typed map yields "".
- The fields are Go's names, not the JSON keys: a network's `.NetworkInterface` prints as
  `network_interface`, a container's `.ID` as `Id`.
- `podman network inspect` lists no members (4.3: no `Containers`); a network's members are
  read from each container's `NetworkSettings.Networks` (keyed by network name), printed as
  `n` lines beside the container's, and filled in by _snapshot.
- Each `c` line leaves out what Podman changes without any change of the object: a network's
  `created` (the built-in network `podman` is made in memory by every command: measured a new
  time per call), a volume's `MountCount` and `NeedsCopyUp`, a pod's `State`,
  `NumContainers` and `Containers` (its members are in its identifying record).
"""

from __future__ import annotations

from ansible_collections.sandbox.attest.plugins.module_utils._profile import (
    LABEL_PROBE_IMAGE,
    LABEL_RUN_ID,
)

_LF = '{{"\\n"}}'


def _json_fields(*fields: str) -> str:
    return "".join("{{json .%s}}" % field for field in fields)


def _label_or_null(labels: str, key: str) -> str:
    """A label's value as JSON, or null: the labels map may be nil, the key absent."""
    return ('{{with %s}}{{with index . "%s"}}{{json .}}{{else}}null{{end}}{{else}}null{{end}}'
            % (labels, key))


# A command's words split at spaces, each as a JSON string and a space (_snapshot's form).
def _pieces(words: str) -> str:
    return '{{range %s}}{{range split . " "}}{{json .}} {{end}}{{end}}' % words


# The health command as Podman 4.3 runs it (libpod/healthcheck.go): CMD-SHELL always under
# `/bin/sh -c` with the words joined (Podman has no `Shell` in a container's configuration),
# CMD with its words as given, anything else as given. `--health-cmd 'true --health'` is stored
# as ["CMD-SHELL", "true --health"] (measured). The line is hashed like Docker's; which exec
# events Podman logs for it is for the events slice to measure.
_HEALTH = (
    '{{with .Config}}{{with .Healthcheck}}{{with $t := .Test}}{{if gt (len $t) 1}}'
    '{{if eq (index $t 0) "CMD-SHELL"}}{{$k}} h "/bin/sh" "-c" ' + _pieces("slice $t 1") + _LF
    + '{{else if eq (index $t 0) "CMD"}}{{$k}} h ' + _pieces("slice $t 1") + _LF
    + '{{else if ne (index $t 0) "NONE"}}{{$k}} h ' + _pieces("$t") + _LF
    + '{{end}}{{end}}{{end}}{{end}}{{end}}')

# Identifying record differences from Docker's, each measured on podman 4.3.1:
# - `Name` has no leading "/" (Docker's has one): printed as is.
# - `Image` is the bare hex ID, without "sha256:" (Docker: "sha256:<hex>"); the prefix is
#   added so that image_id matches the image list's IDs (`podman images --no-trunc` prints
#   "sha256:<hex>" as Docker). Empty (a --rootfs container) stays "".
# - `Config.Image` is the resolved name ("localhost/decoy/tagged:one" for `decoy/tagged:one`;
#   "sha256:<hex>" when created by ID): Docker keeps the reference as the user typed it.
# - `State.StartedAt` is a time, printed in the host's zone: read through `.UTC` so it is
#   RFC 3339 in UTC as Docker's ("0001-01-01T00:00:00Z" for a container never started).
# - `State.Status` is one of Podman's: created, running, exited (measured), also configured,
#   paused, stopping, stopped, removing, unknown (libpod's names, not normalised).
# - `HostConfig.RestartPolicy.Name` is "" without a policy (Docker: "no"): normalised to "no".
CONTAINER = (
    '{{$k := .ID}}{{$k}} c {{json .Config}}{{json .HostConfig}}' + _LF
    + '{{range .Mounts}}{{$k}} m {{json .}}' + _LF + '{{end}}'
    + '{{with .NetworkSettings}}{{range $name, $n := .Networks}}{{$k}} n {{json $name}}' + _LF
    + '{{end}}{{end}}' + _HEALTH
    + '{{$k}} i {"id":{{json $k}},"name":{{json .Name}},'
    '"image":{{with .Config}}{{json .Image}}{{else}}""{{end}},'
    '"image_id":{{if .Image}}{{json (printf "sha256:%s" .Image)}}{{else}}""{{end}},'
    '"state":{{with .State}}{{json .Status}}{{else}}""{{end}},'
    '"started_at":{{with .State}}{{json .StartedAt.UTC}}{{else}}""{{end}},'
    '"restart_count":{{json .RestartCount}},'
    '"restart_policy":{{with .HostConfig}}{{with .RestartPolicy}}{{if .Name}}{{json .Name}}'
    '{{else}}"no"{{end}}{{else}}"no"{{end}}{{else}}"no"{{end}},'
    '"run_id":{{with .Config}}' + _label_or_null(".Labels", LABEL_RUN_ID)
    + '{{else}}null{{end}}' + _LF)

# A pod (Podman only): its ID and name identify it; its configuration is what `podman pod
# create` set. Its members and state are in its identifying record (members sorted by
# _snapshot: Podman prints them in no defined order). Measured only without an infra
# container (the test host has no pause image and no catatonit to build one: `podman pod
# create` without --infra=false fails there); the infra's fields are read all the same.
POD = (
    '{{$k := .ID}}{{$k}} c ' + _json_fields(
        "Namespace", "CreateCommand", "ExitPolicy", "Hostname", "Labels", "CreateCgroup",
        "CgroupParent", "CgroupPath", "CreateInfra", "InfraContainerID", "InfraConfig",
        "SharedNamespaces", "CPUPeriod", "CPUQuota", "CPUShares", "CPUSetCPUs", "CPUSetMems",
        "Devices", "BlkioDeviceReadBps", "VolumesFrom", "SecurityOpts", "MemoryLimit",
        "MemorySwap", "BlkioWeight", "BlkioWeightDevice") + _LF
    + '{{range .Mounts}}{{$k}} m {{json .}}' + _LF + '{{end}}'
    + '{{$k}} i {"id":{{json $k}},"name":{{json .Name}},"state":{{json .State}},'
    '"containers":[{{range $i, $c := .Containers}}{{if $i}},{{end}}{{json $c.ID}}{{end}}],'
    '"run_id":' + _label_or_null(".Labels", LABEL_RUN_ID) + _LF)

# A network: Podman's own fields (netavark's network file), without `created`.
NETWORK = (
    '{{$k := .ID}}{{$k}} c ' + _json_fields(
        "Driver", "NetworkInterface", "Subnets", "IPv6Enabled", "Internal", "DNSEnabled",
        "Labels", "Options", "IPAMOptions") + _LF
    + '{{$k}} i {"id":{{json $k}},"name":{{json .Name}},"driver":{{json .Driver}}' + _LF)

# A volume: Docker's four fields and the owner Podman gives its directory (--opt o=uid=...).
VOLUME = (
    '{{$k := .Name}}{{$k}} c ' + _json_fields(
        "Driver", "Options", "Labels", "Mountpoint", "UID", "GID") + _LF
    + '{{$k}} i {"name":{{json $k}},"driver":{{json .Driver}},"run_id":'
    + _label_or_null(".Labels", LABEL_RUN_ID) + _LF)

TEMPLATES = {"container": CONTAINER, "pod": POD, "network": NETWORK, "volume": VOLUME}
INSPECTED_KINDS = ("container", "pod", "network", "volume")
LIST_COMMANDS = {
    "container": ["ps", "-aq", "--no-trunc"],
    "pod": ["pod", "ps", "-q", "--no-trunc"],
    # `podman network ls -q` prints names, not IDs (measured): the ID by --format.
    "network": ["network", "ls", "--no-trunc", "--format", "{{.ID}}"],
    "volume": ["volume", "ls", "-q"],
    # As Docker's: `podman images --no-trunc` prints "sha256:<hex>" IDs and "<none>" for no
    # repository or tag; references carry the registry Podman gave them ("localhost/...").
    "image": ["image", "ls", "-a", "--no-trunc", "--format", "{{.ID}} {{.Repository}}:{{.Tag}}"],
}
PROBE_IMAGE_LIST_COMMAND = ["image", "ls", "-a", "-q", "--no-trunc", "--filter",
                            "label=%s=true" % LABEL_PROBE_IMAGE]
INSPECT_COMMANDS = {
    "container": ["container", "inspect"],
    "pod": ["pod", "inspect"],
    "network": ["network", "inspect"],
    "volume": ["volume", "inspect"],
}
# Podman logs warnings on stderr as `time="…" level=warning msg="…"` (measured: "aardvark-dns
# binary not found, container dns will not be enabled" when a container joins a network):
# they are no failure of an inspect.
WARNING_MARK = "level=warning"
