#!/bin/sh
# sandbox.attest operator packet (collection @@VERSION@@) for venue "@@HOST@@".
# Packet format @@PACKET_FORMAT@@: a sandbox.attest release of that format verifies its bundle.
#
# Attests the deny-by-default sandbox on THIS host and writes an evidence bundle for a reviewer,
# who verifies it with `ansible-playbook playbooks/verify.yml -e sandbox_attest_bundle=PATH`.
# Rendered by playbooks/packet.yml; do not edit: the bundle records this packet's digest and
# the argv each container ran, and the verifier recomputes both from the hardened profile.
#
#   sh attest.sh --plan          show what would run; touches nothing
#   sh attest.sh [OUTPUT_DIR]    run as root; the bundle lands in OUTPUT_DIR/@@HOST@@/<run id>/
#                                (default OUTPUT_DIR: ./evidence)
#
# Needs the @@CLI@@ CLI (with an engine it can reach) and coreutils, nothing else. It creates
# only this run's two containers (named and labelled with its run id), this run's directory
# under the run root (@@RUN_ROOT@@) and, when the engine lacks it, the probe image (a
# labelled cache, kept). On exit or interrupt it removes the containers and the run
# directory, and nothing else.

set -eu
umask 022
LC_ALL=C
export LC_ALL

PACKET_HOST='@@HOST@@'
COLLECTION_VERSION='@@VERSION@@'
PACKET_FORMAT=@@PACKET_FORMAT@@
RUN_ROOT='@@RUN_ROOT@@'
SECCOMP_PROFILE='@@SECCOMP@@'
IMAGE_ID='@@IMAGE_ID@@'
PROBE_SHA256='@@PROBE_SHA256@@'
TIMEOUT_S=@@TIMEOUT_S@@
IDENTITIES='@@IDENTITIES@@'
LABEL_RUN_ID='@@LABEL_RUN_ID@@'
CONTAINER_PREFIX='@@CONTAINER_PREFIX@@'
STDOUT_CAP=@@STDOUT_CAP@@
STDERR_CAP=@@STDERR_CAP@@
FETCH_NAME=@@FETCH_NAME@@
FETCH_MAX_BYTES=@@FETCH_MAX_BYTES@@
FETCH_MAX_ENTRIES=@@FETCH_MAX_ENTRIES@@
# The venue's pinned public SSH host key ('' when none was pinned): the script signs the
# bundle's statement with the host key whose public half it is (docs/evidence-bundle.md).
HOST_KEY=@@HOST_KEY@@
SIGNATURE_NAMESPACE=@@SIGNATURE_NAMESPACE@@

# The engine --format templates, verbatim from module_utils/_facts.py and _snapshot.py: the
# automated path runs the same strings, so both paths give the same facts and digests.
# @@ONLY docker@@
FACTS_TEMPLATE=@@FACTS_TEMPLATE@@
# @@END ONLY@@
# @@ONLY podman@@
# Podman's facts are its info JSON, read at these paths (module_utils/_facts.py
# PODMAN_FACT_PATHS, `<path>=<facts key>`) by json_pick, as the module reads them: a template
# fails on any field its Podman lacks. Its engine ID stand-in is this prefix and the graph root.
PODMAN_FACT_WANTS=@@PODMAN_FACT_WANTS@@
PODMAN_ID_PREFIX=@@PODMAN_ID_PREFIX@@
OCI_SPEC_MAX_BYTES=@@OCI_SPEC_MAX_BYTES@@
# @@END ONLY@@
# shellcheck disable=SC2016 # Go template variables, meant literally
EVENT_TEMPLATE=@@EVENT_TEMPLATE@@
# shellcheck disable=SC2016 # Go template variables, meant literally
SNAP_CONTAINER=@@SNAP_CONTAINER@@
# shellcheck disable=SC2016
SNAP_NETWORK=@@SNAP_NETWORK@@
# shellcheck disable=SC2016
SNAP_VOLUME=@@SNAP_VOLUME@@
# @@ONLY podman@@
# shellcheck disable=SC2016
SNAP_POD=@@SNAP_POD@@
# @@END ONLY@@
EVENTS_CLOSE_MARGIN_NS=@@EVENTS_CLOSE_MARGIN_NS@@
# A kind with many objects is inspected in up to INSPECT_CALLS_MAX calls at the same time, each
# of at least INSPECT_BATCH objects (module_utils/_snapshot.py batches).
INSPECT_BATCH=@@INSPECT_BATCH@@
INSPECT_CALLS_MAX=@@INSPECT_CALLS_MAX@@

list_container() { @@LIST_CONTAINER@@; }
list_network() { @@LIST_NETWORK@@; }
list_volume() { @@LIST_VOLUME@@; }
list_image() { @@LIST_IMAGE@@; }
list_probe_image() { @@LIST_PROBE_IMAGE@@; }
inspect_container() { @@INSPECT_CONTAINER@@ "$@"; }
inspect_network() { @@INSPECT_NETWORK@@ "$@"; }
inspect_volume() { @@INSPECT_VOLUME@@ "$@"; }
# @@ONLY podman@@
list_pod() { @@LIST_POD@@; }
inspect_pod() { @@INSPECT_POD@@ "$@"; }
podman_info() { @@PODMAN_INFO@@; }
read_events() { @@EVENT_READ@@ "$@"; }
# @@END ONLY@@

# The exact `@@CLI@@ create` argv of each identity: module_utils/_profile.py create_argv,
# rendered with this run's id and run root. run_create records it in argv.json and runs it
# as it is; the verifier recomputes it and compares it word for word.
# @@CREATE_FUNCTIONS@@

STEP=0
RUN_ID=''
RUN_DIR=''
RUN_DIR_MADE=''
STAGE=''
WORK=''
OUT_DIR=''
OUT_ROOT=''
MADE_OUT_ROOT=''
MADE_OUT_HOST=''
CREATED=''
CREATING=''
WAIT_PID=''
SNAPSHOT_PIDS=''
COMPLETE=''
CLEANED=''
NL='
'

say() { printf 'sandbox-attest: %s\n' "$*"; }
step() {
    STEP=$((STEP + 1))
    printf '\nsandbox-attest: [%d] %s\n' "$STEP" "$*"
}
die() {
    printf 'sandbox-attest: ERROR: %s\n' "$*" >&2
    exit 1
}
now() { date -u +%Y-%m-%dT%H:%M:%SZ; }
sha_of() {
    _sha=$(sha256sum)
    printf '%s' "${_sha%% *}"
}

# A JSON string: the values written here are controlled (ids, paths checked at render time,
# names passed through `tr`), so escaping backslash and double quote is enough.
json_str() {
    _js_in=$1
    _js_out=''
    while :; do
        case $_js_in in
            *[\"\\]*) ;;
            *) break ;;
        esac
        _js_pre=${_js_in%%[\"\\]*}
        _js_rest=${_js_in#"$_js_pre"}
        _js_char=${_js_rest%"${_js_rest#?}"}
        _js_out="$_js_out$_js_pre\\$_js_char"
        _js_in=${_js_rest#?}
    done
    printf '"%s%s"' "$_js_out" "$_js_in"
}

argv_json() {
    _aj='['
    _aj_sep=''
    for _aj_word in "$@"; do
        _aj="$_aj$_aj_sep$(json_str "$_aj_word")"
        _aj_sep=', '
    done
    printf '%s]' "$_aj"
}

# Every engine command an identity's run issues, in order, for result.json.
record() {
    COMMANDS="$COMMANDS${COMMANDS:+, }$(argv_json "$@")"
}

# A printable, JSON-safe form of a name the sandbox chose (it may hold any byte).
safe_name() {
    printf '%s' "$1" | head -c 200 | tr -c 'A-Za-z0-9._+-' '?'
}

forget_container() {
    _fc_keep=''
    for _fc_id in $CREATED; do
        [ "$_fc_id" = "$1" ] || _fc_keep="$_fc_keep $_fc_id"
    done
    CREATED=$_fc_keep
}

# Remove the containers of THIS run: the ids recorded at create, those listed by this run's
# label, and those named after it; each label is read back before anything is removed.
remove_run_containers() {
    _passes=1
    # A `@@CLI@@ create` cut short by a signal may still complete in the engine: look again.
    [ -z "$CREATING" ] || _passes=5
    while [ "$_passes" -gt 0 ]; do
        _listed=$(timeout 60 @@CLI@@ ps -aq --no-trunc --filter "label=$LABEL_RUN_ID=$RUN_ID" \
            2>/dev/null) || _listed=''
        _named=''
        for _rc_identity in $IDENTITIES; do
            _named="$_named $CONTAINER_PREFIX$RUN_ID-$_rc_identity"
        done
        for _rc_ref in $CREATED $_listed $_named; do
            _rc_seen=$(timeout 60 @@CLI@@ container inspect --format \
                "{{.Id}} {{index .Config.Labels \"$LABEL_RUN_ID\"}}" "$_rc_ref" 2>/dev/null) \
                || continue
            _rc_id=${_rc_seen%% *}
            if [ "${_rc_seen#* }" != "$RUN_ID" ]; then
                say "not removing $_rc_ref: it does not carry this run's label"
                continue
            fi
            if timeout 60 @@CLI@@ rm --force --volumes "$_rc_id" >/dev/null 2>&1; then
                say "removed container $_rc_id"
                forget_container "$_rc_id"
            else
                say "could not remove container $_rc_id: remove it with @@CLI@@ rm --force $_rc_id"
            fi
        done
        _passes=$((_passes - 1))
        [ "$_passes" -eq 0 ] || sleep 1
    done
}

cleanup() {
    [ -z "$CLEANED" ] || return 0
    CLEANED=1
    set +e
    # Finish the cleanup even when Ctrl-C is pressed again.
    trap '' INT TERM HUP
    if [ -n "$WAIT_PID" ]; then
        kill "$WAIT_PID" 2>/dev/null
        wait "$WAIT_PID" 2>/dev/null
    fi
    # A snapshot's kinds are read in background subshells, which ignore Ctrl-C: let them end
    # (they only read the engine) so that none writes into the scratch directory after it goes.
    for _cl_pid in $SNAPSHOT_PIDS; do
        wait "$_cl_pid" 2>/dev/null
    done
    if [ -n "$RUN_ID" ]; then
        remove_run_containers
    fi
    if [ -n "$RUN_DIR_MADE" ] && [ -d "$RUN_DIR" ] && [ ! -L "$RUN_DIR" ]; then
        rm -rf -- "$RUN_DIR" && say "removed the run directory $RUN_DIR"
    fi
    if [ -n "$STAGE" ] && [ -z "$COMPLETE" ] && [ -d "$STAGE" ]; then
        rm -rf -- "$STAGE" && say "removed the incomplete bundle"
    fi
    if [ -z "$COMPLETE" ]; then
        # Output directories this run made and left empty go too.
        [ -z "$MADE_OUT_HOST" ] || rmdir -- "$OUT_DIR" 2>/dev/null
        [ -z "$MADE_OUT_ROOT" ] || rmdir -- "$OUT_ROOT" 2>/dev/null
    fi
    if [ -n "$WORK" ]; then
        rm -rf -- "$WORK"
    fi
}

on_signal() {
    printf '\nsandbox-attest: interrupted (%s): removing what this run created\n' "$1" >&2
    cleanup
    exit "$2"
}

run_create() {
    if [ -n "${PLAN:-}" ]; then
        printf '  %s\n' "$*"
        return 0
    fi
    argv_json "$@" > "$ID_DIR/argv.json"
    printf '\n' >> "$ID_DIR/argv.json"
    record "$@"
    CREATING=1
    _rcr_out=$("$@" 2>"$WORK/create.err") || die "@@CLI@@ create failed: $(cat "$WORK/create.err")"
    _rcr_id=${_rcr_out##*"$NL"}
    case $_rcr_id in
        *[!0-9a-f]*|'') die "@@CLI@@ create printed no container id: $_rcr_out" ;;
    esac
    [ "${#_rcr_id}" -eq 64 ] || die "@@CLI@@ create printed no container id: $_rcr_out"
    CID=$_rcr_id
    CREATED="$CREATED $CID"
    CREATING=''
}

# True when every line of the file $1 (an inspect's errors) says an object went between list
# and inspect.
only_vanished() {
    while IFS= read -r _ov_line; do
        case $_ov_line in
            ''|*"No such"*|*"no such"*|*"not found"*|*"Not found"*) ;;
            # @@ONLY podman@@
            # Podman's warnings (module_utils/_snapshot_podman.py WARNING_MARK) are no failure.
            *@@WARNING_MARK@@*) ;;
            # @@END ONLY@@
            *) return 1 ;;
        esac
    done < "$1"
    return 0
}

# The --until of an event window closing at $1 (ns since the epoch): EVENTS_CLOSE_MARGIN_NS
# later, as seconds.nanoseconds (module_utils/_snapshot.py events_until).
events_until() {
    _eu=$(($1 + EVENTS_CLOSE_MARGIN_NS))
    _eu_s=${_eu%?????????}
    printf '%s.%s' "$_eu_s" "${_eu#"$_eu_s"}"
}

# Where the scratch directory goes: TMPDIR when the operator set it, else /dev/shm when it is a
# writable directory, else /tmp. In memory the snapshot's raw lines (which may hold a host
# container's secrets) never reach a disk, and its per-line files cost little: measured, 858
# files made in 0.52 s on this machine's ext4 and in 0.012 s on tmpfs; the snapshot of 1,000
# host objects went from about 3 s to 0.7 s. What it holds is small: the engine's lines of one
# snapshot (about 1 MB per 400 containers) and the probe's logs (capped by the log options).
scratch_parent() {
    if [ -n "${TMPDIR:-}" ]; then
        printf '%s' "$TMPDIR"
    elif [ -d /dev/shm ] && [ -w /dev/shm ]; then
        printf '/dev/shm'
    else
        printf '/tmp'
    fi
}

# One kind of the digest-only snapshot into SK_ITEMS, in one inspect call for all its objects.
# The template prints tagged lines (module_utils/_snapshot.py): c = configuration, h = health
# command, i = identifying JSON without its closing brace, m = one mount. Each line is hashed
# whole, and an object's configuration digest is the sha256 of its c and m line digests in
# sorted order: the same digests as the automated path's. Only coreutils touch the long lines
# (sort, split, sha256sum, cut, paste): dash's `read` takes a system call per byte, so the
# shell loop reads only keys, tags and digests. No raw configuration is kept: the line files
# live in the scratch directory and only pass through sha256sum.
snapshot_kind() {
    _sk_kind=$1
    case $_sk_kind in
        container) _sk_t=$SNAP_CONTAINER ;;
        network) _sk_t=$SNAP_NETWORK ;;
        volume) _sk_t=$SNAP_VOLUME ;;
        # @@ONLY podman@@
        pod) _sk_t=$SNAP_POD ;;
        # @@END ONLY@@
        image) snapshot_images; return ;;
    esac
    # Each kind has error files of its own: the kinds are read at the same time.
    _sk_err="$WORK/errors-$_sk_kind"
    _sk_refs=$("list_$_sk_kind" 2>"$_sk_err") \
        || die "listing ${_sk_kind}s failed: $(cat "$_sk_err")"
    SK_ITEMS=''
    _sk_dir="$WORK/snapshot-$_sk_kind"
    rm -rf -- "$_sk_dir"
    mkdir -- "$_sk_dir" "$_sk_dir/lines" "$_sk_dir/objects"
    set -f
    # shellcheck disable=SC2046,SC2086 # split on purpose: one engine id or name per word
    set -- $(printf '%s\n' $_sk_refs | sort -u)
    set +f
    [ "$#" -gt 0 ] || { rm -rf -- "$_sk_dir"; return 0; }
    printf '%s\n' "$@" > "$_sk_dir/refs"
    inspect_batches "$_sk_kind" "$_sk_t" "$_sk_dir" "$#"
    # Blank lines (what the CLI prints for an object it did not find) are dropped by sorting
    # them first and skipping them: `sort` puts them at the top.
    sort -o "$_sk_dir/sorted" "$_sk_dir/raw"
    rm -f -- "$_sk_dir/raw"
    _sk_blank=0
    while IFS= read -r _sk_line; do
        [ -z "$_sk_line" ] || break
        _sk_blank=$((_sk_blank + 1))
    done < "$_sk_dir/sorted"
    tail -n "+$((_sk_blank + 1))" "$_sk_dir/sorted" > "$_sk_dir/lines.txt"
    rm -f -- "$_sk_dir/sorted"
    if [ ! -s "$_sk_dir/lines.txt" ]; then
        _sk_vanished "$_sk_dir/refs"
        rm -rf -- "$_sk_dir"
        return 0
    fi
    (cd -- "$_sk_dir/lines" && split -l 1 -a 6 ../lines.txt l.) || die "split failed"
    (cd -- "$_sk_dir/lines" && sha256sum -- l.*) | cut -c1-64 > "$_sk_dir/digests" \
        || die "sha256sum failed"
    rm -rf -- "$_sk_dir/lines"
    # Per object: the file of its c and m line digests (c first: "c" sorts before "m"), its key
    # (for the vanished check) and its health digest or null (h sorts before i). Every line is
    # `<key> <tag> <payload>` and every object has one c and one i line, as parse_batch requires:
    # a line that is not would shift the objects' columns below. awk reads the lines, not dash:
    # dash's `read` costs a system call per byte (0.08 s for 400 containers against 0.01 s), and
    # this runs twice per attestation on the snapshot's longest path.
    awk -v dir="$_sk_dir" '
        function fail() {
            failed = 1
            exit 2
        }
        function object_done() {
            if (key != "" && !(seen["c"] && seen["i"])) fail()
            split("", seen)
        }
        {
            if ((getline sum < (dir "/digests")) <= 0) fail()
            first = index($0, " ")
            rest = substr($0, first + 1)
            second = index(rest, " ")
            this = substr($0, 1, first - 1)
            tag = substr(rest, 1, second - 1)
            # @@ONLY docker@@
            if (first < 2 || second < 2 || this ~ /[^A-Za-z0-9_.:-]/ || tag !~ /^[chim]$/) fail()
            # @@END ONLY@@
            # @@ONLY podman@@
            # Podman containers add `n <network name>` lines: their networks (not hashed).
            if (first < 2 || second < 2 || this ~ /[^A-Za-z0-9_.:-]/ || tag !~ /^[chimn]$/) fail()
            # @@END ONLY@@
            if (this != key) {
                object_done()
                key = this
            }
            # @@ONLY docker@@
            if (tag != "m" && seen[tag]++) fail()
            # @@END ONLY@@
            # @@ONLY podman@@
            if (tag != "m" && tag != "n" && seen[tag]++) fail()
            # @@END ONLY@@
        }
        tag == "c" {
            if (object != "") close(object)
            object = dir "/objects/" key
            print sum > object
            print key > (dir "/keys")
            n++
        }
        tag == "m" { print sum > object }
        # @@ONLY podman@@
        tag == "n" { print substr(rest, second + 1), key > (dir "/members") }
        # @@END ONLY@@
        tag == "h" {
            h++
            hsum = sum
        }
        tag == "i" {
            if (seen["h"]) print "\"" hsum "\"" > (dir "/health")
            else print "null" > (dir "/health")
        }
        END {
            if (failed) exit 2
            object_done()
            print n + 0, h + 0 > (dir "/counts")
        }
    ' "$_sk_dir/lines.txt" || die "the $_sk_kind snapshot template printed an unreadable line"
    : >> "$_sk_dir/keys"
    : >> "$_sk_dir/health"
    read -r _sk_n _sk_h < "$_sk_dir/counts"
    # @@ONLY podman@@
    # `<network name as JSON> <container id>` a line, for the networks' members (network_members).
    if [ -f "$_sk_dir/members" ]; then
        mv -- "$_sk_dir/members" "$WORK/snapshot-members"
    fi
    # @@END ONLY@@
    # Listed but not printed: gone between list and inspect (both lists in byte order).
    comm -23 "$_sk_dir/refs" "$_sk_dir/keys" > "$_sk_dir/gone"
    _sk_vanished "$_sk_dir/gone"
    # The lines sorted by tag (stable, so still by key): c, h, i, m; the i block is the objects'
    # identifying JSON in key order, as the per-object files are in the glob's byte order.
    sort -s -t ' ' -k 2,2 "$_sk_dir/lines.txt" | tail -n "+$((_sk_n + _sk_h + 1))" \
        | head -n "$_sk_n" | cut -d ' ' -f 3- > "$_sk_dir/idents"
    # @@ONLY podman@@
    [ "$_sk_kind" != pod ] || sort_pod_members "$_sk_dir/idents"
    # @@END ONLY@@
    (cd -- "$_sk_dir/objects" && sha256sum -- *) | cut -c1-64 > "$_sk_dir/configs" \
        || die "sha256sum failed"
    yes ',"config_sha256":"' | head -n "$_sk_n" > "$_sk_dir/before-config"
    if [ "$_sk_kind" = container ]; then
        yes '","health_cmd_sha256":' | head -n "$_sk_n" > "$_sk_dir/after-config"
        yes '}' | head -n "$_sk_n" > "$_sk_dir/close"
        paste -d '\0' "$_sk_dir/idents" "$_sk_dir/before-config" "$_sk_dir/configs" \
            "$_sk_dir/after-config" "$_sk_dir/health" "$_sk_dir/close" > "$_sk_dir/items"
    else
        yes '"}' | head -n "$_sk_n" > "$_sk_dir/close"
        paste -d '\0' "$_sk_dir/idents" "$_sk_dir/before-config" "$_sk_dir/configs" \
            "$_sk_dir/close" > "$_sk_dir/items"
    fi
    # @@ONLY podman@@
    [ "$_sk_kind" != network ] || cp -- "$_sk_dir/items" "$WORK/snapshot-lines-network"
    # @@END ONLY@@
    SK_ITEMS=$(paste -s -d ',' "$_sk_dir/items")
    rm -rf -- "$_sk_dir"
}

# Inspect the $4 refs listed in $3/refs (kind $1, template $2) into $3/raw: in batches read at
# the same time (module_utils/_snapshot.py batches), each in a background subshell with files
# of its own. A batch whose errors all name vanished objects succeeded.
inspect_batches() {
    _ib_kind=$1
    _ib_t=$2
    _ib_dir=$3
    _ib_calls=$(($4 / INSPECT_BATCH))
    [ "$_ib_calls" -ge 1 ] || _ib_calls=1
    [ "$_ib_calls" -le "$INSPECT_CALLS_MAX" ] || _ib_calls=$INSPECT_CALLS_MAX
    (cd -- "$_ib_dir" && split -l "$((($4 + _ib_calls - 1) / _ib_calls))" -a 1 refs batch.) \
        || die "split failed"
    _ib_pids=''
    for _ib_batch in "$_ib_dir"/batch.?; do
        (
            set -f
            # shellcheck disable=SC2046 # split on purpose: one engine id or name per word
            set -- $(cat -- "$_ib_batch")
            "inspect_$_ib_kind" --format "$_ib_t" "$@" > "$_ib_batch.raw" 2> "$_ib_batch.err" \
                || only_vanished "$_ib_batch.err"
        ) &
        _ib_pids="$_ib_pids $!"
    done
    _ib_failed=''
    for _ib_pid in $_ib_pids; do
        wait "$_ib_pid" || _ib_failed=1
    done
    [ -z "$_ib_failed" ] \
        || die "inspecting the ${_ib_kind}s failed: $(cat -- "$_ib_dir"/batch.?.err)"
    cat -- "$_ib_dir"/batch.?.raw > "$_ib_dir/raw"
    rm -f -- "$_ib_dir"/batch.*
}

# The images into SK_ITEMS from two list calls, as module_utils/_snapshot.py reads them
# (format 3): an image's ID is the digest of its configuration, so it is not inspected. Lines
# `<id> <repository>:<tag>`, one per reference, and `<id> ~probe` for each image the label
# filter names, sorted together: an image's references in byte order, its probe mark last ("~"
# sorts after every character a reference starts with). Only short lines pass through read.
snapshot_images() {
    _si_err="$WORK/errors-image"
    list_image > "$WORK/images.list" 2>"$_si_err" \
        || die "listing images failed: $(cat "$_si_err")"
    list_probe_image > "$WORK/images.probe" 2>"$_si_err" \
        || die "listing the probe images failed: $(cat "$_si_err")"
    awk 'NF { print $0 " ~probe" }' "$WORK/images.probe" >> "$WORK/images.list" \
        || die "reading the probe image list failed"
    sort -u -o "$WORK/images.list" "$WORK/images.list"
    # One item per image the image list named (not only the filter: an image removed between
    # the two calls is not there, as on the automated path). awk reads the lines: see
    # snapshot_kind.
    SK_ITEMS=$(awk '
        function item() {
            if (listed) {
                printf "%s{\"id\":\"%s\",\"tags\":[%s],\"probe_image\":%s,\"config_sha256\":\"%s\"}",
                    separator, id, tags, probe, substr(id, 8)
                separator = ","
            }
        }
        NF == 0 { next }
        {
            ref = $0
            sub(/^ *[^ ]+ */, "", ref)
            sub(/ +$/, "", ref)
            # A line that is not `<id> <reference>` with a JSON-safe reference: the END rule
            # runs after exit, so it is told not to print.
            if (length($1) != 71 || $1 !~ /^sha256:[0-9a-f]+$/ \
                || (ref != "~probe" && (ref == "" || ref ~ /["\\ \t]/ || ref !~ /:/))) {
                failed = 1
                exit 2
            }
            if ($1 != id) {
                item()
                id = $1
                tags = ""
                probe = "false"
                listed = 0
            }
            if (ref == "~probe") probe = "true"
            else {
                listed = 1
                if (ref !~ /^<none>:/ && ref !~ /:<none>$/)
                    tags = tags (tags == "" ? "" : ",") "\"" ref "\""
            }
        }
        END { if (!failed) item() }
    ' "$WORK/images.list") || die "the image list printed an unreadable line"
    rm -f -- "$WORK/images.list" "$WORK/images.probe"
}

# Record the refs listed in file $1 (one a line) as vanished objects of the current kind.
_sk_vanished() {
    while IFS= read -r _sk_ref; do
        SNAP_VANISHED="$SNAP_VANISHED${SNAP_VANISHED:+,}\"$_sk_kind:$_sk_ref\""
    done < "$1"
}

# The event lines of file $1 as kept, into file $2 (module_utils/_snapshot.py
# scrub_event_line): an exec's command follows a tab, as the line a health check prints in a
# snapshot; it becomes that line's sha256 and is never kept. Each exec's command is a line of
# its own, all hashed by one sha256sum call, and awk, not dash's read, reads the lines: a
# lived-in host's health checks give many exec events, and a subshell per event cost about
# 5 ms each.
scrub_events() {
    _se_dir="$WORK/events"
    rm -rf -- "$_se_dir"
    mkdir -- "$_se_dir" "$_se_dir/commands"
    : > "$_se_dir/heads"
    : > "$_se_dir/commands.txt"
    : > "$_se_dir/digests"
    awk -v dir="$_se_dir" '
        $0 == "" { next }
        {
            tab = index($0, "\t")
            if (tab) {
                print substr($0, tab + 1) > (dir "/commands.txt")
                print "x" substr($0, 1, tab - 1) > (dir "/heads")
            } else print "n" $0 > (dir "/heads")
        }
    ' "$1" || die "reading the event log failed"
    if [ -s "$_se_dir/commands.txt" ]; then
        (cd -- "$_se_dir/commands" && split -l 1 -a 6 ../commands.txt c.) || die "split failed"
        (cd -- "$_se_dir/commands" && sha256sum -- c.*) | cut -c1-64 > "$_se_dir/digests" \
            || die "sha256sum failed"
    fi
    awk -v digests="$_se_dir/digests" '
        {
            head = substr($0, 2)
            sub(/[}]$/, "", head)
        }
        /^x/ {
            if ((getline sum < digests) <= 0) exit 2
            print head ",\"command_sha256\":\"" sum "\"}"
            next
        }
        { print head ",\"command_sha256\":null}" }
    ' "$_se_dir/heads" > "$2" || die "scrubbing the event log failed"
    rm -rf -- "$_se_dir"
}

snapshot() {
    # The clock before the first and after the last engine call, in ns as events' time_nano.
    # @@ONLY docker@@
    printf '{"format":@@SNAPSHOT_FORMAT@@,"taken_at":"%s","started_ns":%s' "$(now)" \
        "$(date -u +%s%N)" > "$1"
    # @@END ONLY@@
    # @@ONLY podman@@
    # A podman snapshot says its runtime, and has pods (module_utils/_snapshot.py).
    printf '{"format":@@SNAPSHOT_FORMAT@@,"runtime":"@@RUNTIME@@","taken_at":"%s","started_ns":%s' \
        "$(now)" "$(date -u +%s%N)" > "$1"
    # @@END ONLY@@
    # The four kinds are read at the same time, each in a subshell writing its items and its
    # vanished refs to files of its own (as the automated path reads them in threads): the
    # snapshot costs about its largest kind. A kind that fails has said why (die) and makes
    # the snapshot fail.
    SNAPSHOT_PIDS=''
    for _sn_kind in @@SNAPSHOT_KINDS@@; do
        (
            SNAP_VANISHED=''
            snapshot_kind "$_sn_kind"
            printf '%s' "$SK_ITEMS" > "$WORK/snapshot-items-$_sn_kind"
            printf '%s' "$SNAP_VANISHED" > "$WORK/snapshot-vanished-$_sn_kind"
        ) &
        SNAPSHOT_PIDS="$SNAPSHOT_PIDS $!"
    done
    _sn_failed=''
    for _sn_pid in $SNAPSHOT_PIDS; do
        wait "$_sn_pid" || _sn_failed=1
    done
    SNAPSHOT_PIDS=''
    [ -z "$_sn_failed" ] || die "the snapshot of the engine failed (see above)"
    # @@ONLY podman@@
    network_members
    # @@END ONLY@@
    _sn_vanished=''
    for _sn_kind in @@SNAPSHOT_KINDS@@; do
        {
            printf ',"%ss":[' "$_sn_kind"
            cat -- "$WORK/snapshot-items-$_sn_kind"
            printf ']'
        } >> "$1"
        _sn_more=$(cat -- "$WORK/snapshot-vanished-$_sn_kind")
        _sn_vanished="$_sn_vanished${_sn_vanished:+${_sn_more:+,}}$_sn_more"
        rm -f -- "$WORK/snapshot-items-$_sn_kind" "$WORK/snapshot-vanished-$_sn_kind"
    done
    printf ',"vanished":[%s],"finished_ns":%s}\n' "$_sn_vanished" "$(date -u +%s%N)" >> "$1"
}

refuse() {
    _fo_refused="$_fo_refused${_fo_refused:+, }{\"name\": \"$1\", \"reason\": \"$2\"}"
}

# Copy out/ok only after the container is gone: a regular file (not a link) with the expected
# name, within the size bound; its mode is never kept. Everything else is refused, with why.
fetch_out() {
    _fo_dir=$RUN_DIR/$1/out
    _fo_copied=''
    _fo_refused=''
    _fo_count=0
    for _fo_entry in "$_fo_dir"/* "$_fo_dir"/.[!.]* "$_fo_dir"/..?*; do
        [ -e "$_fo_entry" ] || [ -L "$_fo_entry" ] || continue
        _fo_count=$((_fo_count + 1))
        if [ "$_fo_count" -gt "$FETCH_MAX_ENTRIES" ]; then
            refuse '*' "too many entries (more than $FETCH_MAX_ENTRIES); the rest was not read"
            break
        fi
        _fo_name=${_fo_entry##*/}
        _fo_reason=''
        if [ "$_fo_name" != "$FETCH_NAME" ]; then
            _fo_reason='unexpected name'
        elif [ -L "$_fo_entry" ]; then
            _fo_reason='symlink'
        elif [ ! -f "$_fo_entry" ]; then
            _fo_reason='not a regular file'
        else
            _fo_size=$(stat -c %s -- "$_fo_entry")
            if [ "$_fo_size" -gt "$FETCH_MAX_BYTES" ]; then
                _fo_reason="too large ($_fo_size bytes, at most $FETCH_MAX_BYTES)"
            fi
        fi
        if [ -n "$_fo_reason" ]; then
            refuse "$(safe_name "$_fo_name")" "$_fo_reason"
            continue
        fi
        mkdir -p "$ID_DIR/out"
        head -c "$FETCH_MAX_BYTES" -- "$_fo_entry" > "$ID_DIR/out/$FETCH_NAME"
        _fo_bytes=$(wc -c < "$ID_DIR/out/$FETCH_NAME")
        _fo_bytes=$((_fo_bytes + 0))
        _fo_sha=$(sha_of < "$ID_DIR/out/$FETCH_NAME")
        _fo_copied="{\"name\": \"$FETCH_NAME\", \"bytes\": $_fo_bytes, \"sha256\": \"$_fo_sha\"}"
    done
    printf '{"format": @@BUNDLE_FORMAT@@, "copied": [%s], "refused": [%s]}\n' "$_fo_copied" "$_fo_refused" \
        > "$ID_DIR/fetch.json"
}

run_identity() {
    _ri_identity=$1
    _ri_user=$2
    ID_DIR=$STAGE/identities/$_ri_identity
    mkdir -p "$ID_DIR"
    COMMANDS=''
    step "$_ri_identity (uid ${_ri_user%%:*}): create the container with the profile's argv"
    "create_$_ri_identity"
    say "created $CID"
    _ri_started=$(now)
    step "$_ri_identity: start, wait at most ${TIMEOUT_S}s"
    record @@CLI@@ start "$CID"
    @@CLI@@ start "$CID" > /dev/null || die "@@CLI@@ start $CID failed"
    record @@CLI@@ wait "$CID"
    # In the background so that a signal is handled at once (sh defers traps until a
    # foreground command ends); `timeout` bounds the wait.
    timeout "$TIMEOUT_S" @@CLI@@ wait "$CID" > "$WORK/wait.out" 2> "$WORK/wait.err" &
    WAIT_PID=$!
    _ri_rc=0
    wait "$WAIT_PID" || _ri_rc=$?
    WAIT_PID=''
    _ri_timed_out=false
    if [ "$_ri_rc" -eq 124 ]; then
        # The bound is the evidence: kill, record, and let the verifier say NOT READY.
        _ri_timed_out=true
        say "the probe exceeded ${TIMEOUT_S}s: killing it"
        record @@CLI@@ kill "$CID"
        @@CLI@@ kill "$CID" > /dev/null 2>&1 || :
        record @@CLI@@ wait "$CID"
        timeout 30 @@CLI@@ wait "$CID" > "$WORK/wait.out" 2> "$WORK/wait.err" || :
    elif [ "$_ri_rc" -ne 0 ]; then
        die "@@CLI@@ wait $CID failed: $(cat "$WORK/wait.err")"
    fi
    _ri_code=-1
    while IFS= read -r _ri_line; do
        case $_ri_line in
            ''|*[!0-9]*) ;;
            *) _ri_code=$_ri_line ;;
        esac
    done < "$WORK/wait.out"
    if [ "$_ri_code" = -1 ] && [ "$_ri_timed_out" = false ]; then
        die "@@CLI@@ wait printed no exit code"
    fi
    say "exit code $_ri_code"
    step "$_ri_identity: probe output and inspect document, then remove the container"
    record @@CLI@@ logs "$CID"
    @@CLI@@ logs "$CID" > "$WORK/probe.out" 2> "$WORK/probe.err" || die "@@CLI@@ logs $CID failed"
    head -c "$STDOUT_CAP" "$WORK/probe.out" > "$ID_DIR/probe.jsonl"
    head -c "$STDERR_CAP" "$WORK/probe.err" > "$ID_DIR/stderr.txt"
    record @@CLI@@ inspect "$CID"
    @@CLI@@ inspect "$CID" > "$ID_DIR/inspect.json" || die "@@CLI@@ inspect $CID failed"
    # @@ONLY podman@@
    # Gone with the container: read now (a file read, not an engine command).
    copy_oci_spec "$CID"
    # @@END ONLY@@
    record @@CLI@@ rm --force --volumes "$CID"
    @@CLI@@ rm --force --volumes "$CID" > /dev/null || die "@@CLI@@ rm $CID failed"
    record @@CLI@@ container inspect --format '{{.Id}}' "$CID"
    if @@CLI@@ container inspect --format '{{.Id}}' "$CID" > /dev/null 2>&1; then
        die "could not remove container $CID"
    fi
    forget_container "$CID"
    say "removed $CID"
    _ri_finished=$(now)
    step "$_ri_identity: fetch out/$FETCH_NAME (regular file, at most $FETCH_MAX_BYTES bytes)"
    fetch_out "$_ri_identity"
    {
        printf '{"format": @@BUNDLE_FORMAT@@, "identity": "%s", "user": "%s",' "$_ri_identity" "$_ri_user"
        printf ' "container_id": "%s",' "$CID"
        printf ' "container_name": "%s%s-%s",' "$CONTAINER_PREFIX" "$RUN_ID" "$_ri_identity"
        printf ' "exit_code": %s, "timed_out": %s,' "$_ri_code" "$_ri_timed_out"
        printf ' "timeout_s": %s, "started_at": "%s", "finished_at": "%s",' \
            "$TIMEOUT_S" "$_ri_started" "$_ri_finished"
        printf ' "removed": true, "commands": [%s]}\n' "$COMMANDS"
    } > "$ID_DIR/result.json"
}

# @@ONLY podman@@
# The scalars of the JSON document on stdin at the paths $1 names (space-separated
# `<key>.<key>...=<name>`, an array's element by its index), printed `<name>=<JSON token>` a
# line in the order asked, the last of a key given twice as a JSON reader keeps it. A token
# reader, not a validator: objects, arrays, strings, numbers and the three words; anything
# else fails it (exit 2), as does a document left open. Tokens never span lines in JSON.
json_pick() {
    awk -v wants="$1" '
        function fail() {
            failed = 1
            exit 2
        }
        function scalar(token,   i, p) {
            if (depth == 0) return
            p = key[1]
            for (i = 2; i <= depth; i++) p = p SUBSEP key[i]
            if (p in want) got[want[p]] = token
        }
        BEGIN {
            count = split(wants, list, " ")
            for (i = 1; i <= count; i++) {
                eq = index(list[i], "=")
                parts = split(substr(list[i], 1, eq - 1), names, ".")
                p = names[1]
                for (j = 2; j <= parts; j++) p = p SUBSEP names[j]
                want[p] = substr(list[i], eq + 1)
                order[i] = want[p]
            }
        }
        {
            s = $0
            while (s != "") {
                c = substr(s, 1, 1)
                if (c == " " || c == "\t" || c == "\r" || c == ":") {
                    s = substr(s, 2)
                } else if (c == "{" || c == "[") {
                    depth++
                    kind[depth] = c
                    key[depth] = (c == "[") ? 0 : ""
                    expect_key[depth] = (c == "{")
                    s = substr(s, 2)
                } else if (c == "}" || c == "]") {
                    if (depth == 0) fail()
                    depth--
                    s = substr(s, 2)
                } else if (c == ",") {
                    if (kind[depth] == "[") key[depth]++
                    else expect_key[depth] = 1
                    s = substr(s, 2)
                } else if (c == "\"") {
                    if (!match(s, /^"([^"\\]|\\.)*"/)) fail()
                    token = substr(s, 1, RLENGTH)
                    s = substr(s, RLENGTH + 1)
                    if (kind[depth] == "{" && expect_key[depth]) {
                        key[depth] = substr(token, 2, length(token) - 2)
                        expect_key[depth] = 0
                    } else scalar(token)
                } else if (match(s, /^(-?[0-9]+([.][0-9]+)?([eE][-+]?[0-9]+)?|true|false|null)/)) {
                    scalar(substr(s, 1, RLENGTH))
                    s = substr(s, RLENGTH + 1)
                } else fail()
            }
        }
        END {
            if (failed || depth != 0 || NR == 0) exit 2
            for (i = 1; i <= count; i++) if (order[i] in got) print order[i] "=" got[order[i]]
        }
    '
}

# The engine facts of `podman info --format json` into engine/facts.json, as
# module_utils/_facts.py select_podman_facts selects them: each PODMAN_FACT_PATHS value when it
# is a string that is not empty or an integer; cgroup_version without Podman's `v`;
# operating_system from the distribution's parts; security_options in Docker's `name=` words;
# engine_id the prefix and the graph root; api_version from `podman version`. A string is kept
# as the JSON token Podman printed (the same string once read). Sets ENGINE_ID.
podman_facts() {
    podman_info > "$WORK/info.json" 2> "$WORK/info.err" \
        || die "podman info failed: $(head -c 2000 "$WORK/info.err")"
    # The parts of the facts the module composes, in its order, each under a name of its own.
    _pf_wants="$PODMAN_FACT_WANTS host.cgroupVersion=~cgroup"
    _pf_wants="$_pf_wants host.distribution.distribution=~distribution"
    _pf_wants="$_pf_wants host.distribution.version=~version host.distribution.codename=~codename"
    _pf_wants="$_pf_wants host.security.seccompEnabled=~seccomp"
    _pf_wants="$_pf_wants host.security.seccompProfilePath=~profile"
    _pf_wants="$_pf_wants host.security.apparmorEnabled=~apparmor"
    _pf_wants="$_pf_wants host.security.selinuxEnabled=~selinux host.security.rootless=~rootless"
    json_pick "$_pf_wants" < "$WORK/info.json" > "$WORK/facts.picked" \
        || die "podman info printed no readable JSON"
    rm -f -- "$WORK/info.json" "$WORK/info.err"
    _pf_json='{"format":1'
    _pf_root=''
    _pf_system=''
    _pf_seccomp=''
    _pf_profile=''
    _pf_modules=''
    while IFS= read -r _pf_line; do
        _pf_name=${_pf_line%%=*}
        _pf_token=${_pf_line#*=}
        case $_pf_token in
            '""' | \"*\") _pf_text=${_pf_token#\"} && _pf_text=${_pf_text%\"} ;;
            *) _pf_text='' ;;
        esac
        case $_pf_name in
            '~cgroup')
                [ -n "$_pf_text" ] || continue
                _pf_json="$_pf_json,\"cgroup_version\":\"${_pf_text#v}\"" ;;
            '~distribution' | '~version')
                [ -z "$_pf_text" ] || _pf_system="$_pf_system${_pf_system:+ }$_pf_text" ;;
            '~codename') [ -z "$_pf_text" ] || _pf_system="$_pf_system${_pf_system:+ }($_pf_text)" ;;
            '~seccomp') _pf_seccomp=$_pf_token ;;
            '~profile') _pf_profile=$_pf_text ;;
            '~'*)
                [ "$_pf_token" != true ] || _pf_modules="$_pf_modules,\"name=${_pf_name#\~}\"" ;;
            *)
                case $_pf_token in
                    '""') continue ;;
                    \"*) ;;
                    -[0-9]* | [0-9]*)
                        case ${_pf_token#-} in
                            *[!0-9]*) continue ;;
                        esac ;;
                    *) continue ;;
                esac
                _pf_json="$_pf_json,\"$_pf_name\":$_pf_token"
                [ "$_pf_name" != graph_root ] || _pf_root=$_pf_text ;;
        esac
    done < "$WORK/facts.picked"
    rm -f -- "$WORK/facts.picked"
    case $_pf_root in
        *\\*) die "podman's graph root is printed with an escape: refusing to guess its name" ;;
    esac
    [ -z "$_pf_system" ] || _pf_json="$_pf_json,\"operating_system\":\"$_pf_system\""
    if [ "$_pf_seccomp" = true ]; then
        _pf_modules=",\"name=seccomp${_pf_profile:+,profile=$_pf_profile}\"$_pf_modules"
    fi
    ENGINE_ID=$PODMAN_ID_PREFIX$_pf_root
    printf '%s,"security_options":[%s],"engine_id":"%s","api_version":"%s"}\n' "$_pf_json" \
        "${_pf_modules#,}" "$ENGINE_ID" "$API_VERSION" > "$STAGE/engine/facts.json"
}

# The event log of the run window into file $1 (module_utils/_snapshot.py, Podman):
# `podman events --until T` stops when T passes however much it has read (measured), so the
# log is read whole since the start once the close has passed, and the close is applied to each
# event's time_nano (as strings of digits: awk's numbers are doubles). The window closes
# EVENTS_CLOSE_MARGIN_NS from now; finished_at is that moment rounded up to the second
# (window_closes_at), so every event kept is inside the run's window. Podman logs no exec
# command: a line with a tab, or one not of the template, stops the run.
podman_events() {
    _pe_until=$(($(date -u +%s%N) + EVENTS_CLOSE_MARGIN_NS))
    while [ "$(date -u +%s%N)" -le "$_pe_until" ]; do
        sleep 0.05
    done
    FINISHED_AT=$(date -u -d "@$(((_pe_until + 999999999) / 1000000000))" +%Y-%m-%dT%H:%M:%SZ)
    read_events --since "$STARTED_AT" --format "$EVENT_TEMPLATE" > "$WORK/events.read" \
        2> "$WORK/events.err" || die "podman events failed: $(head -c 2000 "$WORK/events.err")"
    awk -v until="$_pe_until" '
        $0 == "" { next }
        {
            if (index($0, "\t") || !match($0, /^[{]"time_nano":[0-9]+,/)) exit 2
            at = substr($0, 14, RLENGTH - 14) ""
            bound = until ""
            if (length(at) < length(bound) || (length(at) == length(bound) && at <= bound)) print
        }
    ' "$WORK/events.read" > "$1" || die "podman events printed a line not of the event template"
    rm -f -- "$WORK/events.read" "$WORK/events.err"
}

# The OCI spec Podman handed the OCI runtime, copied beside the inspect document before the
# container $1 is removed (module_utils/_oci_spec.py, the automated path's rules): its path is
# the inspect document's OCIConfigPath, never the sandbox's word, held to the engine's layout
# (absolute, normal, <storage>/<container id>/userdata/config.json), a regular file opened
# without following a link (dd iflag=nofollow) and at most OCI_SPEC_MAX_BYTES. Anything else
# stops the run.
copy_oci_spec() {
    _os_picked=$(json_pick '0.OCIConfigPath=path' < "$ID_DIR/inspect.json") \
        || die "the inspect document of $1 is not readable JSON"
    case $_os_picked in
        'path="'*'"') _os_path=${_os_picked#path=\"} && _os_path=${_os_path%\"} ;;
        *) die "the inspect document of $1 names no OCIConfigPath" ;;
    esac
    _os_shown=$(safe_name "$_os_path")
    case $_os_path in
        *\\* | *"$NL"*) die "OCIConfigPath $_os_shown is printed with an escape: refusing it" ;;
    esac
    case $_os_path in
        /*) ;;
        *) die "OCIConfigPath $_os_shown is not absolute" ;;
    esac
    case $_os_path/ in
        *//* | */./* | */../*) die "OCIConfigPath $_os_shown is not a normal path" ;;
    esac
    case $_os_path in
        */"$1"/userdata/config.json) ;;
        *) die "OCIConfigPath $_os_shown is not <storage>/$1/userdata/config.json" ;;
    esac
    [ ! -L "$_os_path" ] || die "the OCI spec $_os_shown is a symbolic link: refusing it"
    [ -f "$_os_path" ] || die "the OCI spec $_os_shown is not a regular file"
    dd if="$_os_path" of="$ID_DIR/@@OCI_SPEC@@" iflag=nofollow bs=65536 \
        count=$((OCI_SPEC_MAX_BYTES / 65536 + 1)) status=none 2> "$WORK/dd.err" \
        || die "cannot read the OCI spec $_os_shown: $(head -c 300 "$WORK/dd.err")"
    _os_size=$(wc -c < "$ID_DIR/@@OCI_SPEC@@")
    [ "$_os_size" -le "$OCI_SPEC_MAX_BYTES" ] \
        || die "the OCI spec $_os_shown is over $OCI_SPEC_MAX_BYTES bytes"
    [ "$(head -c 1 "$ID_DIR/@@OCI_SPEC@@")" = '{' ] \
        || die "the OCI spec $_os_shown is not a JSON object"
}

# A pod's members (the identifying JSON's "containers" list) in byte order, in file $1, as
# module_utils/_snapshot.py sorts them: Podman lists them in no defined order.
sort_pod_members() {
    awk '
        {
            start = index($0, ",\"containers\":[")
            if (!start) exit 2
            rest = substr($0, start + 15)
            end = index(rest, "]")
            if (!end) exit 2
            n = (end > 1) ? split(substr(rest, 1, end - 1), ids, ",") : 0
            for (i = 2; i <= n; i++) {
                id = ids[i]
                for (j = i - 1; j >= 1 && ids[j] > id; j--) ids[j + 1] = ids[j]
                ids[j + 1] = id
            }
            list = ""
            for (i = 1; i <= n; i++) list = list (i > 1 ? "," : "") ids[i]
            print substr($0, 1, start + 14) list substr(rest, end)
        }
    ' "$1" > "$1.sorted" || die "the pod snapshot template printed an unreadable line"
    mv -- "$1.sorted" "$1"
}

# Podman's networks list no members: each network item gets Docker's "containers" (IDs, sorted)
# from the networks its containers named (module_utils/_snapshot.py fill_network_members).
network_members() {
    [ -f "$WORK/snapshot-lines-network" ] || return 0
    : >> "$WORK/snapshot-members"
    sort -u -o "$WORK/snapshot-members" "$WORK/snapshot-members"
    awk -v members="$WORK/snapshot-members" '
        BEGIN {
            while ((getline line < members) > 0) {
                space = index(line, " ")
                name = substr(line, 1, space - 1)
                id = "\"" substr(line, space + 1) "\""
                if (name in ids) ids[name] = ids[name] "," id
                else ids[name] = id
            }
        }
        {
            at = index($0, ",\"name\":")
            rest = substr($0, at + 8)
            end = index(rest, ",\"driver\":")
            if (!at || end < 2) exit 2
            name = substr(rest, 1, end - 1)
            printf "%s%s,\"containers\":[%s]}", (NR > 1 ? "," : ""),
                substr($0, 1, length($0) - 1), (name in ids ? ids[name] : "")
        }
    ' "$WORK/snapshot-lines-network" > "$WORK/snapshot-items-network" \
        || die "the network snapshot template printed an unreadable line"
    rm -f -- "$WORK/snapshot-lines-network" "$WORK/snapshot-members"
}

# @@END ONLY@@
identity_user() {
    case $1 in
        # @@IDENTITY_USERS@@
    esac
}

# The evidence files of the bundle, sorted, one a line: what the venue states and signs.
evidence_files() {
    _ef_files=''
    for _ef_path in @@TOP_FILES@@; do
        _ef_files="$_ef_files$_ef_path$NL"
    done
    for _ef_identity in $IDENTITIES; do
        for _ef_name in @@IDENTITY_FILES@@; do
            if [ -f "$STAGE/identities/$_ef_identity/$_ef_name" ]; then
                _ef_files="${_ef_files}identities/$_ef_identity/$_ef_name$NL"
            fi
        done
    done
    printf '%s' "$_ef_files" | sort
}

# "path": "sha256", one a line, for the given sorted paths.
digest_entries() {
    _de_entries=''
    for _de_path in "$@"; do
        _de_sha=$(sha_of < "$STAGE/$_de_path")
        _de_entries="$_de_entries${_de_entries:+,$NL}    \"$_de_path\": \"$_de_sha\""
    done
    printf '%s' "$_de_entries"
}

write_manifest() {
    _wm_files=$(evidence_files)
    for _wm_path in @@SIGNATURE_FILES@@; do
        [ ! -f "$STAGE/$_wm_path" ] || _wm_files="$_wm_files$NL$_wm_path"
    done
    # shellcheck disable=SC2046 # the paths are the format's plain words, split on purpose
    _wm_entries=$(digest_entries $(printf '%s\n' "$_wm_files" | sort))
    printf '{\n  "format": @@MANIFEST_FORMAT@@,\n  "algorithm": "sha256",\n  "files": {\n%s\n  }\n}\n' \
        "$_wm_entries" > "$STAGE/@@MANIFEST@@"
}

# The statement (module_utils/_venue_signature.py statement_document, as pretty JSON): the run,
# the fingerprint, the pin, why it is unsigned (or null) and every evidence file's sha256.
write_statement() {
    # shellcheck disable=SC2046 # the paths are the format's plain words, split on purpose
    _ws_entries=$(digest_entries $(evidence_files))
    _ws_key=null
    [ -z "$HOST_KEY" ] || _ws_key=$(json_str "$HOST_KEY")
    _ws_reason=null
    [ -z "$1" ] || _ws_reason=$(json_str "$1")
    printf '{\n  "algorithm": "sha256",\n  "files": {\n%s\n  },\n  "format": @@STATEMENT_FORMAT@@,\n  "host_key": %s,\n  "namespace": "%s",\n  "run_id": "%s",\n  "unsigned_reason": %s,\n  "venue_fingerprint": "sha256:%s"\n}\n' \
        "$_ws_entries" "$_ws_key" "$SIGNATURE_NAMESPACE" "$RUN_ID" "$_ws_reason" "$FINGERPRINT" \
        > "$STAGE/@@STATEMENT@@"
}

# The private host key whose public half is the pin: `ssh-keygen -y` derives it from the key
# itself (a .pub file beside it could say anything).
find_host_key() {
    for _fk_path in /etc/ssh/ssh_host_*_key; do
        [ -f "$_fk_path" ] || continue
        _fk_pub=$(ssh-keygen -y -f "$_fk_path" 2>/dev/null) || continue
        if [ "$(printf '%s\n' "$_fk_pub" | cut -d ' ' -f 1,2)" = "$HOST_KEY" ]; then
            printf '%s' "$_fk_path"
            return 0
        fi
    done
    return 1
}

# Sign the statement with the pinned host key; without it the statement says why, and the run
# completes (the verifier says PARTIAL, unsigned).
sign_statement() {
    mkdir -- "$STAGE/@@SIGNATURE_DIR@@"
    _ss_reason=''
    if [ -z "$HOST_KEY" ]; then
        _ss_reason='no host key pinned for this venue'
    elif ! command -v ssh-keygen > /dev/null 2>&1; then
        _ss_reason='ssh-keygen is missing on this host'
    elif ! _ss_key=$(find_host_key); then
        _ss_reason='none of this host'"'"'s SSH host keys (/etc/ssh/ssh_host_*_key) is the pinned one'
    fi
    if [ -z "$_ss_reason" ]; then
        write_statement ''
        if ssh-keygen -Y sign -q -f "$_ss_key" -n "$SIGNATURE_NAMESPACE" \
            < "$STAGE/@@STATEMENT@@" > "$STAGE/@@STATEMENT_SIG@@" 2> "$WORK/sign.err"; then
            say "signed with the host key $_ss_key ($HOST_KEY)"
            return 0
        fi
        _ss_reason="signing failed: $(head -c 300 "$WORK/sign.err" | tr -c '[:print:]' ' ')"
        rm -f -- "$STAGE/@@STATEMENT_SIG@@"
    fi
    write_statement "$_ss_reason"
    say "the evidence is not signed: $_ss_reason"
}

new_run_id() {
    _nr_hex=$(od -An -N@@RUN_ID_RANDOM_BYTES@@ -tx1 /dev/urandom | tr -d ' \n')
    printf '%s-%s' "$(date -u +@@RUN_ID_TIME_FORMAT@@)" "$_nr_hex"
}

check_run_id() {
    _cr_time=${1%-*}
    _cr_hex=${1##*-}
    case $_cr_time in
        @@RUN_ID_TIME_GLOB@@) ;;
        *) die "made a malformed run id: $1" ;;
    esac
    case $_cr_hex in
        *[!0-9a-f]*) die "made a malformed run id: $1" ;;
    esac
    if [ "${#_cr_hex}" -ne @@RUN_ID_HEX_DIGITS@@ ] || [ "${#1}" -ne @@RUN_ID_LENGTH@@ ]; then
        die "made a malformed run id: $1"
    fi
}

usage() {
    printf '%s\n' "usage: sh attest.sh --plan         show what would run; touch nothing" \
        "       sh attest.sh [OUTPUT_DIR]  run as root; the bundle lands in" \
        "                                  OUTPUT_DIR/$PACKET_HOST/<run id>/ (default ./evidence)"
}

# The length of the subordinate range starting at $2 in $1 (/etc/subuid or /etc/subgid, lines
# name:start:length), in _sl_length; 0 when there is none.
subordinate_length() {
    _sl_length=0
    [ -r "$1" ] || return 0
    while IFS=: read -r _ _sl_start _sl_count; do
        case $_sl_count in
            '' | *[!0-9]*) continue ;;
        esac
        if [ "$_sl_start" = "$2" ]; then
            _sl_length=$_sl_count
        fi
    done < "$1"
}

# The host owner (uid:gid, in OUT_OWNER) of an identity's out/ for the identity $1 (uid:gid in
# the container), as module_utils/_facts.py mapped_owner: its own ids, or under the engine's
# --userns-remap the host ids the engine maps them to - the remapped root it names at the end
# of its root directory (/<uid>.<gid>, in the recorded engine/facts.json) plus the ids, while
# the subordinate range starting there covers them. Else /out is not writable for its identity.
out_owner() {
    _oo_uid=${1%%:*}
    _oo_gid=${1#*:}
    _oo_facts=$(cat -- "$STAGE/engine/facts.json")
    case $_oo_facts in
        *'"name=userns"'*) ;;
        *)
            OUT_OWNER=$1
            return 0
            ;;
    esac
    _oo_root=${_oo_facts#*\"docker_root_dir\":\"}
    _oo_root=${_oo_root%%\"*}
    _oo_root=${_oo_root##*/}
    _oo_ruid=${_oo_root%%.*}
    _oo_rgid=${_oo_root#*.}
    case $_oo_ruid:$_oo_rgid in
        :* | *: | *[!0-9:]*)
            die "userns-remap, but the engine's root directory ends in $_oo_root" ;;
    esac
    subordinate_length /etc/subuid "$_oo_ruid"
    [ "$_sl_length" -gt "$_oo_uid" ] \
        || die "no subordinate uid range at $_oo_ruid covers container uid $_oo_uid"
    subordinate_length /etc/subgid "$_oo_rgid"
    [ "$_sl_length" -gt "$_oo_gid" ] \
        || die "no subordinate gid range at $_oo_rgid covers container gid $_oo_gid"
    OUT_OWNER=$((_oo_ruid + _oo_uid)):$((_oo_rgid + _oo_gid))
}

# Run as root, in a directory of its own: exactly what the automated path makes, by the rules
# of module_utils/_run_dir.py (the one maker there; this is its sh rendering, since the venue
# has no Python): a root-owned run root that is no link, the run directory root 0700,
# identity directories and in/ 0755, out/ 0700 owned by the identity's (mapped) ids.
prepare_run_dir() {
    if [ -L "$RUN_ROOT" ]; then
        die "$RUN_ROOT is a link: refusing to follow it"
    fi
    if [ ! -d "$RUN_ROOT" ]; then
        # shellcheck disable=SC2174 # the parents get the usual mode, as on the automated path
        mkdir -p -m 0700 -- "$RUN_ROOT"
    fi
    [ "$(stat -c %u -- "$RUN_ROOT")" -eq 0 ] || die "$RUN_ROOT is not owned by root"
    RUN_DIR=$RUN_ROOT/$RUN_ID
    mkdir -m 0700 -- "$RUN_DIR" || die "$RUN_DIR exists: refusing to reuse it"
    RUN_DIR_MADE=1
    chown 0:0 -- "$RUN_DIR"
    for _pr_identity in $IDENTITIES; do
        out_owner "$(identity_user "$_pr_identity")"
        mkdir -m 0755 -- "$RUN_DIR/$_pr_identity" "$RUN_DIR/$_pr_identity/in"
        mkdir -m 0700 -- "$RUN_DIR/$_pr_identity/out"
        chown "$OUT_OWNER" -- "$RUN_DIR/$_pr_identity/out"
        chmod 0700 -- "$RUN_DIR/$_pr_identity/out"
    done
    : > "$RUN_DIR/empty.env"
    cat -- "$PACKET_DIR/profile/seccomp.json" > "$RUN_DIR/seccomp-$SECCOMP_PROFILE.json"
    chmod 0644 -- "$RUN_DIR/empty.env" "$RUN_DIR/seccomp-$SECCOMP_PROFILE.json"
}

write_run_json() {
    _wr_identities=''
    for _wr_identity in $IDENTITIES; do
        _wr_identities="$_wr_identities${_wr_identities:+, }\"$_wr_identity\""
    done
    {
        printf '{"format": @@BUNDLE_FORMAT@@, "run_id": "%s",' "$RUN_ID"
        printf ' "producer": {"path": "packet", "collection": "sandbox.attest",'
        printf ' "collection_version": "%s", "packet_format": %s, "packet_sha256": "%s"},' \
            "$COLLECTION_VERSION" "$PACKET_FORMAT" "$PACKET_SHA256"
        printf ' "inventory_hostname": "%s", "runtime": "@@RUNTIME@@",' "$PACKET_HOST"
        printf ' "seccomp_profile": "%s", "image_id": "%s", "probe_sha256": "%s",' \
            "$SECCOMP_PROFILE" "$IMAGE_ID" "$PROBE_SHA256"
        printf ' "identities": [%s], "started_at": "%s", "finished_at": "%s"}\n' \
            "$_wr_identities" "$STARTED_AT" "$FINISHED_AT"
    } > "$STAGE/run.json"
}

main() {
    PLAN=''
    OUT_ROOT=evidence
    case ${1:-} in
        --plan) PLAN=1 ;;
        -h|--help) usage; exit 0 ;;
        -*) usage >&2; die "unknown option $1" ;;
        '') ;;
        *) OUT_ROOT=$1 ;;
    esac
    [ "$#" -le 1 ] || { usage >&2; die "too many arguments"; }

    step "check the tools and the packet against its digest list (SHA256SUMS)"
    for _tool in @@CLI@@ sha256sum od tr head tail wc stat date mkdir mktemp chmod chown rm rmdir \
        mv cat sort timeout sleep id dirname split cut paste comm yes awk; do
        command -v "$_tool" > /dev/null 2>&1 \
            || die "$_tool is missing: the packet needs the @@CLI@@ CLI, coreutils and awk"
    done
    # @@ONLY podman@@
    command -v dd > /dev/null 2>&1 \
        || die "dd is missing: the packet needs the @@CLI@@ CLI, coreutils and awk"
    # @@END ONLY@@
    PACKET_DIR=$(cd -- "$(dirname -- "$0")" && pwd -P)
    (cd -- "$PACKET_DIR" && sha256sum --quiet --strict -c SHA256SUMS) \
        || die "the packet does not match its SHA256SUMS: it was changed after it was rendered"
    PACKET_SHA256=$(sha_of < "$PACKET_DIR/SHA256SUMS")
    say "packet sha256 $PACKET_SHA256"

    _run_id=$(new_run_id)
    check_run_id "$_run_id"
    if [ -n "$PLAN" ]; then
        RUN_ID=$_run_id
        step "plan for run $RUN_ID (nothing is created, the engine is not asked)"
        say "run directory $RUN_ROOT/$RUN_ID (root 0700); image $IMAGE_ID (loaded if missing)"
        for _identity in $IDENTITIES; do
            say "$_identity: this create, then start, wait (at most ${TIMEOUT_S}s), logs," \
                "inspect, rm --force --volumes:"
            "create_$_identity"
        done
        exit 0
    fi

    step "check this host and its engine (nothing is created before this passes)"
    [ "$(id -u)" -eq 0 ] || die "run as root (sudo sh attest.sh): the run directory is made" \
        "under a root-owned 0700 parent and each identity's out/ is given to its uid, as on" \
        "the automated path"
    MACHINE_ID=$(cat /etc/machine-id 2>/dev/null) || die "cannot read /etc/machine-id"
    case $MACHINE_ID in
        *[!0-9a-f]*|'') die "/etc/machine-id does not hold a machine-id (32 lowercase hex)" ;;
    esac
    [ "${#MACHINE_ID}" -eq 32 ] || die "/etc/machine-id does not hold a machine-id"
    if ! API_VERSION=$(@@CLI@@ version --format @@VERSION_FORMAT@@ 2>&1) \
        || [ -z "$API_VERSION" ]; then
        die "the engine is unreachable, so nothing was run: $API_VERSION"
    fi
    case $API_VERSION in
        *[!0-9.]*) die "the engine answered an unreadable API version: $API_VERSION" ;;
    esac
    say "engine API $API_VERSION"

    # From here on, whatever happens, cleanup removes what this run made, and only that.
    trap cleanup EXIT
    trap 'on_signal INT 130' INT
    trap 'on_signal TERM 143' TERM
    trap 'on_signal HUP 129' HUP
    RUN_ID=$_run_id
    WORK=$(mktemp -d "$(scratch_parent)/sandbox-attest-packet.XXXXXXXX")
    [ -d "$OUT_ROOT" ] || MADE_OUT_ROOT=1
    [ -d "$OUT_ROOT/$PACKET_HOST" ] || MADE_OUT_HOST=1
    mkdir -p -- "$OUT_ROOT/$PACKET_HOST"
    OUT_DIR=$(cd -- "$OUT_ROOT/$PACKET_HOST" && pwd -P)
    BUNDLE=$OUT_DIR/$RUN_ID
    [ ! -e "$BUNDLE" ] || die "$BUNDLE exists: evidence is never overwritten"
    # Set only once made: cleanup removes an incomplete bundle, never a directory it found.
    mkdir -- "$OUT_DIR/.$RUN_ID.partial"
    STAGE=$OUT_DIR/.$RUN_ID.partial
    mkdir -- "$STAGE/engine" "$STAGE/profile" "$STAGE/snapshots" "$STAGE/identities"
    STARTED_AT=$(now)

    step "engine facts and the venue fingerprint (run $RUN_ID)"
    # @@ONLY docker@@
    _facts=$(docker info --format "$FACTS_TEMPLATE") || die "docker info failed"
    case $_facts in
        '{'*'}') ;;
        *) die "the facts template printed no JSON object" ;;
    esac
    printf '%s,"api_version":"%s"}\n' "${_facts%\}}" "$API_VERSION" > "$STAGE/engine/facts.json"
    ENGINE_ID=$(docker info --format '{{.ID}}') || die "docker info failed"
    [ -n "$ENGINE_ID" ] || die "the engine reports no ID"
    # @@END ONLY@@
    # @@ONLY podman@@
    podman_facts
    # @@END ONLY@@
    # The fingerprint is over the machine-id's digest (module_utils/_facts.py fingerprint_of):
    # the bundle carries that digest, never the machine-id, and a verifier recomputes it.
    MACHINE_SHA=$(printf '%s' "$MACHINE_ID" | sha_of)
    FINGERPRINT=$(printf '%s\n%s\n' "$MACHINE_SHA" "$ENGINE_ID" | sha_of)
    printf '{"format": @@BUNDLE_FORMAT@@, "fingerprint": "sha256:%s", "machine_id_sha256": "%s", "engine_id": %s, "method": "%s"}\n' \
        "$FINGERPRINT" "$MACHINE_SHA" "$(json_str "$ENGINE_ID")" @@VENUE_METHOD@@ \
        > "$STAGE/venue.json"
    say "venue fingerprint sha256:$FINGERPRINT"

    step "snapshot the engine before the run (identifying fields and digests only)"
    snapshot "$STAGE/snapshots/before.json"

    step "prepare the run directory $RUN_ROOT/$RUN_ID"
    prepare_run_dir

    step "make sure the engine has the probe image $IMAGE_ID"
    if @@CLI@@ image inspect --format '{{.Id}}' "$IMAGE_ID" > /dev/null 2>&1; then
        say "present (a cache kept between runs)"
    else
        @@CLI@@ load -i "$PACKET_DIR/probe-image.tar" || die "@@CLI@@ load failed"
        @@CLI@@ image inspect --format '{{.Id}}' "$IMAGE_ID" > /dev/null 2>&1 \
            || die "the loaded archive did not give image $IMAGE_ID"
    fi

    for _identity in $IDENTITIES; do
        run_identity "$_identity" "$(identity_user "$_identity")"
    done

    step "snapshot the engine after the run"
    snapshot "$STAGE/snapshots/after.json"
    # @@ONLY docker@@
    FINISHED_AT=$(now)
    # @@END ONLY@@

    step "the engine's event log for the run window (scrubbed by its template)"
    # @@ONLY docker@@
    # `docker events` returns once --until is in the past: the window closes now, a fraction of
    # a second past (module_utils/_snapshot.py events_until), in seconds and nanoseconds.
    _until=$(events_until "$(date -u +%s%N)")
    docker events --since "$STARTED_AT" --until "$_until" --format "$EVENT_TEMPLATE" \
        > "$WORK/events.raw" || die "docker events failed"
    # @@END ONLY@@
    # @@ONLY podman@@
    podman_events "$WORK/events.raw"
    # @@END ONLY@@
    scrub_events "$WORK/events.raw" "$STAGE/engine/events.jsonl"
    rm -f -- "$WORK/events.raw"

    step "write the bundle, sign its statement with the host key, write its manifest"
    cat -- "$PACKET_DIR/profile/profile.json" > "$STAGE/profile/profile.json"
    cat -- "$PACKET_DIR/profile/seccomp.json" > "$STAGE/profile/seccomp.json"
    write_run_json
    sign_statement
    write_manifest
    mv -- "$STAGE" "$BUNDLE"
    COMPLETE=1

    step "remove this run's directory"
    cleanup
    trap - EXIT INT TERM HUP
    say "done: the evidence bundle is $BUNDLE"
    say "return it unchanged to the reviewer (packet sha256 $PACKET_SHA256)"
}

main "$@"
