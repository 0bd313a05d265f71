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

# The event log of the run window under Podman, scrubbed inside the template into the record
# Docker's EVENT_TEMPLATE prints (_snapshot), keys and types the same. Measured with podman 4.3.1
# and the file event logger in a Podman test host (docs/podman-facts.md, "Events under Podman"):
# - The template runs on Podman's typed event (libpod events.Event): no `.TimeNano`, no
#   `.Action`, no `.Actor`; the time is `.Time.UnixNano`, the action `.Status`, and `.ID`,
#   `.Name`, `.Network` are plain strings, "" when the event has none (never absent or null).
# - Action names are Podman's, kept as they are (the verifier's podman rules read them), not
#   Docker's: `died` (Docker `die`), `remove` (`destroy`), `exec` (`exec_create` and
#   `exec_start`), `exec_died` (`exec_die`), `loadfromarchive` (`load`), `untag` and
#   `remove` for an image's removal; `init` and `cleanup` around each run, which Docker has not;
#   `restart` both for `podman restart` (restart, stop, died, init, start) and for the
#   restart policy (died, restart, init, start: Docker logs die, start only).
#   `health_status` is the whole status (Docker's `health_status: healthy` is cut there too).
#   No status holds a colon; the action is cut at its first one all the same, as Docker's.
# - Exec events carry no command and no exec ID: `podman exec` logs `exec` then `exec_died`,
#   a health check (`podman healthcheck run`) `health_status` then `exec_died` (no `exec`);
#   a command's words and an environment value were in none of the events (grep of the log).
#   So nothing follows a tab: command_sha256 and exec_id are always null, and a `podman
#   exec` is told from a health check by its `exec` event, not by a command digest.
# - Network events: only `connect` and `disconnect` (a network's create and remove log none);
#   `.ID` and `.Name` are the container's and `.Network` the network's name. Printed as
#   Docker's: name = the network's name, container = the container's ID; id "" (Podman logs
#   no network ID).
# - Volume events have `.ID` "" and the volume's name: id = the name, a volume's identity
#   (Docker's volume events carry the name as their ID too).
# - An image load (`loadfromarchive`) has no ID and the archive's path as `.Name`: kept, so
#   the verifier can tell the run's own load of its archive. Imports and tags log `tag` with
#   the image ID.
# - `.Attributes` (a container's labels, which may hold secrets) and `.ContainerExitCode`,
#   `.Image`, `.HealthStatus`, `.PodID` are never printed.
_EVENT_TYPE = '(printf "%s" .Type)'
EVENT_TEMPLATE = (
    '{"time_nano":{{json .Time.UnixNano}},"type":{{json ' + _EVENT_TYPE + '}},'
    '"action":{{json (index (split (printf "%s" .Status) ":") 0)}},'
    '"id":{{if eq ' + _EVENT_TYPE + ' "network"}}""{{else if eq ' + _EVENT_TYPE + ' "volume"}}'
    '{{json .Name}}{{else}}{{json .ID}}{{end}},'
    '"name":{{if eq ' + _EVENT_TYPE + ' "network"}}{{json .Network}}{{else}}{{json .Name}}'
    '{{end}},'
    '"container":{{if eq ' + _EVENT_TYPE + ' "network"}}{{json .ID}}{{else}}null{{end}},'
    '"exec_id":null}')
# `podman events --until T` ends when T passes, however much of the log its reader has read by
# then, and not before (measured on a log of 513 events, 5 reads each: T 1 s past printed 0 or
# 1 line; T 0.05 s ahead 513 four times and 0 once; T 0.25 s and 1 s ahead 513 each time, the
# read lasting until T). `--stream=false` reads the whole log and ends at once: the window's
# close is applied to each event's time_nano instead (_snapshot.events_in_window), so a past
# close and a long log read the same.
EVENT_READ_COMMAND = ["events", "--stream=false"]
