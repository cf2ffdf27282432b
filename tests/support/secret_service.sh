#!/usr/bin/env bash
# A private, real Secret Service (gnome-keyring-daemon on its own D-Bus session bus) for tests.
#
# Interface
#   eval "$(bash tests/support/secret_service.sh start [--owner PID])"
#       Starts the bus and the keyring and prints `export` lines on stdout (and nothing else):
#         DBUS_SESSION_BUS_ADDRESS    unix:path=<dir>/bus,... (the private bus)
#         DUOCTL_TEST_SECRET_SERVICE  1
#         DUOCTL_SECRET_SERVICE_DIR   <dir> (state, logs, PIDs; what `stop` needs)
#       It exits non-zero (printing no exports, and leaving nothing running) when the service
#       could not be brought up and proven usable (within DUOCTL_SECRET_SERVICE_TIMEOUT
#       seconds, default 10). With --owner PID, a watchdog stops the
#       service once PID has exited, so a caller killed by SIGKILL still leaves nothing behind.
#       In a `set -e` script, capture first: `exports=$(bash ... start --owner $$)` then
#       `eval "$exports"`; a bare `eval "$(...)"` succeeds even when start failed.
#   bash tests/support/secret_service.sh stop [DIR]
#       Stops what `start` started (DIR defaults to $DUOCTL_SECRET_SERVICE_DIR) and removes DIR.
#       Idempotent; safe on an already-dead service.
#   bash tests/support/secret_service.sh run [--best-effort] -- CMD [ARGS...]
#       start, run CMD with the exports, always stop, and exit with CMD's status. With
#       --best-effort a failed start only warns and CMD runs without the service (its
#       real-component tests then skip locally, or fail under DUOCTL_REQUIRE_REAL=1).
#   source tests/support/secret_service.sh start
#       The same as the eval form, in the current shell; it also defines
#       `duoctl_secret_service_stop`. Sourcing changes no shell options of the caller.
#
# Why this shape: eval of printed exports (or `run`) keeps the daemons' lifetime independent
# of any one shell, and works from Make, where each recipe line is its own shell.
#
# Why a private bus with no service directories: on a bus that can activate services, a
# gnome-keyring that died is re-activated by D-Bus *locked* (no password on its stdin), and
# every later call then hangs on an unlock prompt nobody can answer. Here nothing is ever
# activated: the daemon we start is the only one, or there is none and clients fail fast.
#
# Why the password on stdin: with --unlock and an empty stdin gnome-keyring creates no login
# collection, so there is no default collection to store into. The keyring and its files live
# under the temp dir (HOME, XDG_DATA_HOME, XDG_RUNTIME_DIR), never the real user's.
#
# Needs Debian's gnome-keyring, dbus (dbus-daemon, dbus-send) and libsecret-tools (secret-tool).

# ---------------------------------------------------------------------------------------------
# Functions only below, until the dispatch at the end: this file is also sourced.

_ss_log() { printf 'secret_service.sh: %s\n' "$*" >&2; }

_ss_need() {
    local missing=() cmd
    for cmd in dbus-daemon dbus-send gnome-keyring-daemon secret-tool timeout; do
        command -v "$cmd" >/dev/null 2>&1 || missing+=("$cmd")
    done
    if ((${#missing[@]})); then
        _ss_log "missing commands: ${missing[*]} (Debian: gnome-keyring dbus libsecret-tools)"
        return 1
    fi
}

# Is PID alive and one of ours? PIDs are reused, so a bare `kill -0` could hit a stranger:
# each process we start carries DIR in its command line or environment.
_ss_is_ours() {
    local pid=$1 dir=$2
    [[ $pid =~ ^[0-9]+$ ]] || return 1
    kill -0 "$pid" 2>/dev/null || return 1
    # No `| grep -q` here: grep's early exit SIGPIPEs the reader, and pipefail (on when this
    # runs as a script) turns a match into a failure.
    local info
    info=$(tr '\0' '\n' 2>/dev/null <"/proc/$pid/cmdline"; tr '\0' '\n' 2>/dev/null <"/proc/$pid/environ")
    [[ $info == *"$dir"* ]]
}

_ss_stop() {
    local dir=${1:-${DUOCTL_SECRET_SERVICE_DIR:-}}
    if [[ -z $dir ]]; then
        _ss_log "stop: no DIR given and DUOCTL_SECRET_SERVICE_DIR unset"
        return 1
    fi
    # Refuse to touch (let alone rm -r) a directory we did not create.
    if [[ ! -f $dir/.duoctl-secret-service ]]; then
        [[ -d $dir ]] && _ss_log "stop: $dir is not a secret_service.sh directory; left alone"
        return 0
    fi
    local pids=() pid i f
    # Watchdog first, so it does not race us; then the keyring, then the bus.
    for f in watchdog.pid keyring.pid bus.pid; do
        [[ -f $dir/$f ]] && pids+=("$(<"$dir/$f")")
    done
    for pid in "${pids[@]}"; do
        _ss_is_ours "$pid" "$dir" && kill -TERM "$pid" 2>/dev/null
    done
    for ((i = 0; i < 50; i++)); do
        local alive=0
        for pid in "${pids[@]}"; do _ss_is_ours "$pid" "$dir" && alive=1; done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do
        if _ss_is_ours "$pid" "$dir"; then
            _ss_log "stop: PID $pid ignored SIGTERM; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null
        fi
    done
    rm -rf -- "$dir"
    return 0
}

# True when org.freedesktop.secrets has an owner on the bus in DBUS_SESSION_BUS_ADDRESS.
_ss_name_owned() {
    timeout 2 dbus-send --session --print-reply --dest=org.freedesktop.DBus \
        /org/freedesktop/DBus org.freedesktop.DBus.NameHasOwner \
        string:org.freedesktop.secrets 2>/dev/null | grep -q 'boolean true'
}

_ss_start() {
    local owner=""
    while (($#)); do
        case $1 in
            --owner) owner=${2:?--owner needs a PID}; shift 2 ;;
            *) _ss_log "start: unknown argument $1"; return 2 ;;
        esac
    done
    _ss_need || return 1

    # Unix socket paths are limited to ~107 bytes: fall back to /tmp for a long TMPDIR.
    local base=${TMPDIR:-/tmp}
    ((${#base} > 60)) && base=/tmp
    local dir
    dir=$(mktemp -d "$base/duoctl-ss.XXXXXXXX") || return 1
    touch "$dir/.duoctl-secret-service"
    mkdir -m 700 "$dir/run" "$dir/home" "$dir/data"

    cat >"$dir/bus.conf" <<EOF
<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<!-- No <servicedir>/<standard_session_servicedirs/>: nothing is ever activated (see top). -->
<busconfig>
  <type>session</type>
  <listen>unix:path=$dir/bus</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
EOF

    # --fork returns only once the socket listens, so the address is usable at once. All
    # daemons get stdio away from our stdout: a `$(...)` reading our exports would otherwise
    # wait for them to exit.
    if ! dbus-daemon --config-file="$dir/bus.conf" --fork --nopidfile \
        --print-address=3 --print-pid=4 \
        3>"$dir/bus.address" 4>"$dir/bus.pid" </dev/null >>"$dir/bus.log" 2>&1; then
        _ss_log "dbus-daemon failed to start:"; cat "$dir/bus.log" >&2
        _ss_stop "$dir"; return 1
    fi
    local address
    address=$(head -n1 "$dir/bus.address")
    if [[ $address != unix:* ]]; then
        _ss_log "dbus-daemon printed no address"; _ss_stop "$dir"; return 1
    fi

    # A non-empty password: with none, no login collection (and so no default) is created.
    # It goes through a file, not a pipe, so that $! is the daemon itself (a background
    # pipeline's $! would be its last element only after extra forks). It is a throwaway:
    # the keyring it protects lives and dies in DIR.
    (umask 077 && printf '%s' "duoctl-test-$$-$RANDOM$RANDOM" >"$dir/password")
    env DBUS_SESSION_BUS_ADDRESS="$address" \
        XDG_RUNTIME_DIR="$dir/run" HOME="$dir/home" XDG_DATA_HOME="$dir/data" \
        XDG_CONFIG_HOME="$dir/home/.config" DUOCTL_SECRET_SERVICE_DIR="$dir" \
        gnome-keyring-daemon --unlock --components=secrets --foreground \
        <"$dir/password" >>"$dir/keyring.log" 2>&1 &
    local kpid=$!
    disown "$kpid" 2>/dev/null || true
    echo "$kpid" >"$dir/keyring.pid"

    # Bounded wait for the name; a daemon that died meanwhile ends the wait at once.
    local ok=0 deadline=$((SECONDS + ${DUOCTL_SECRET_SERVICE_TIMEOUT:-10}))
    while ((SECONDS < deadline)); do
        if DBUS_SESSION_BUS_ADDRESS=$address _ss_name_owned; then ok=1; break; fi
        _ss_is_ours "$kpid" "$dir" || break
        sleep 0.1
    done
    if ((!ok)); then
        _ss_log "org.freedesktop.secrets never appeared on the private bus; keyring log:"
        cat "$dir/keyring.log" >&2
        _ss_stop "$dir"; return 1
    fi

    rm -f -- "$dir/password"

    # Owning the name is not enough: prove a default collection exists and is unlocked by a
    # store/lookup/clear round trip. `timeout` because a locked collection means a prompt that
    # would block forever.
    local probe="probe-$$-$RANDOM" got
    if ! printf '%s' "$probe" | DBUS_SESSION_BUS_ADDRESS=$address timeout 5 \
        secret-tool store --label="duoctl harness probe" duoctl-harness-probe "$probe" 2>>"$dir/keyring.log" ||
        ! got=$(DBUS_SESSION_BUS_ADDRESS=$address timeout 5 \
            secret-tool lookup duoctl-harness-probe "$probe" 2>>"$dir/keyring.log") ||
        [[ $got != "$probe" ]] ||
        ! DBUS_SESSION_BUS_ADDRESS=$address timeout 5 \
            secret-tool clear duoctl-harness-probe "$probe" 2>>"$dir/keyring.log"; then
        _ss_log "the default collection is missing or locked (store/lookup/clear failed):"
        cat "$dir/keyring.log" >&2
        _ss_stop "$dir"; return 1
    fi

    if [[ -n $owner ]]; then
        # A fresh bash (not a forked subshell), so DIR is in its command line and _ss_is_ours
        # recognises it; stdio closed for the `$(...)` reason above.
        bash "$(_ss_self)" _watch "$dir" "$owner" </dev/null >/dev/null 2>&1 &
        echo $! >"$dir/watchdog.pid"
        disown $! 2>/dev/null || true
    fi

    printf 'export DBUS_SESSION_BUS_ADDRESS=%q\n' "$address"
    printf 'export DUOCTL_TEST_SECRET_SERVICE=1\n'
    printf 'export DUOCTL_SECRET_SERVICE_DIR=%q\n' "$dir"
    _ss_log "started: bus PID $(<"$dir/bus.pid"), gnome-keyring PID $kpid, dir $dir"
}

# The watchdog of `start --owner`: stop the service once OWNER has exited (or the bus died).
_ss_watch() {
    local dir=$1 owner=$2 bpid
    bpid=$(<"$dir/bus.pid") || return 0
    while kill -0 "$owner" 2>/dev/null && kill -0 "$bpid" 2>/dev/null; do sleep 1; done
    # Our own PID is not one to kill: drop it from the list, then the ordinary stop (which
    # also removes DIR, so nothing is left in TMPDIR either).
    rm -f -- "$dir/watchdog.pid"
    _ss_stop "$dir"
}

_ss_self() {
    printf '%s/%s\n' "$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)" "$(basename "${BASH_SOURCE[0]}")"
}

_ss_run() {
    local best_effort=0
    while (($#)); do
        case $1 in
            --best-effort) best_effort=1; shift ;;
            --) shift; break ;;
            *) _ss_log "run: unknown argument $1 (usage: run [--best-effort] -- CMD...)"; return 2 ;;
        esac
    done
    (($#)) || { _ss_log "run: no command"; return 2; }
    local exports
    if exports=$(_ss_start --owner $$); then
        eval "$exports"
        # Always stop, whatever CMD does; signals become exits so the EXIT trap runs.
        trap '_ss_stop "$DUOCTL_SECRET_SERVICE_DIR"' EXIT
        trap 'exit 130' INT
        trap 'exit 143' TERM
    elif ((best_effort)); then
        _ss_log "WARNING: no Secret Service; running without it (real-keyring tests will skip)"
    else
        return 1
    fi
    local rc=0
    "$@" || rc=$?
    return "$rc"
}

_ss_usage() {
    sed -n '2,/^$/{s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2
}

# ---------------------------------------------------------------------------------------------
if [[ ${BASH_SOURCE[0]} != "$0" ]]; then
    # Sourced: run `start` in a child bash (so its `set -e`-free error handling and traps stay
    # out of the caller's shell) and eval its exports here.
    duoctl_secret_service_stop() {
        bash "${_DUOCTL_SS_SCRIPT}" stop "${1:-${DUOCTL_SECRET_SERVICE_DIR:-}}" &&
            unset DUOCTL_TEST_SECRET_SERVICE DUOCTL_SECRET_SERVICE_DIR
    }
    _DUOCTL_SS_SCRIPT=$(_ss_self)
    if [[ ${1:-} == start ]]; then
        shift
        _duoctl_ss_exports=$(bash "$_DUOCTL_SS_SCRIPT" start "$@") && eval "$_duoctl_ss_exports"
        _duoctl_ss_rc=$?
        unset _duoctl_ss_exports
        return "$_duoctl_ss_rc"
    fi
    return 0
fi

set -uo pipefail
case ${1:-} in
    start) shift; _ss_start "$@" ;;
    stop) shift; _ss_stop "$@" ;;
    run) shift; _ss_run "$@" ;;
    _watch) shift; _ss_watch "$@" ;;
    -h | --help | help) _ss_usage ;;
    *) _ss_usage; exit 2 ;;
esac
