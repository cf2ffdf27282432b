#!/usr/bin/env bash
# Install the Debian packages that the real-component tests need, when any is missing.
#
#   bash tests/support/system_deps.sh [--strict] [PACKAGE...]
#
# Default packages: gnome-keyring dbus libsecret-tools chromium ca-certificates systemd
# (systemd-creds, for the server tests) util-linux (setpriv) strace (the fsync checks).
# Nothing is run (not even `apt-get update`) when all are installed, so re-runs are instant.
# Without root or apt-get it only warns and exits 0, so `make test` still runs on a developer's
# machine (the real-component tests then skip); --strict (CI) makes that an error.
set -euo pipefail

strict=0
if [[ ${1:-} == --strict ]]; then
    strict=1
    shift
fi
packages=("$@")
((${#packages[@]})) || packages=(
    gnome-keyring dbus libsecret-tools chromium ca-certificates systemd util-linux strace
)

installed() {
    # A captured string, not `| grep -q`: grep's early exit can SIGPIPE dpkg-query (pipefail).
    local status
    status=$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null) || return 1
    [[ $status == installed ]]
}

missing=()
if command -v dpkg-query >/dev/null 2>&1; then
    for p in "${packages[@]}"; do
        installed "$p" || missing+=("$p")
    done
else
    missing=("${packages[@]}")
fi
((${#missing[@]})) || exit 0

if [[ $(id -u) != 0 ]] || ! command -v apt-get >/dev/null 2>&1; then
    echo "system_deps.sh: missing Debian packages: ${missing[*]} (need root and apt-get to install)" >&2
    ((strict)) && exit 1
    echo "system_deps.sh: continuing; tests that need them will skip" >&2
    exit 0
fi

echo "==> apt-get install ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
# The lock timeout: a fresh machine may still be running its own apt job for a while.
apt_opts=(-o DPkg::Lock::Timeout=300 -o Dpkg::Use-Pty=0)
apt-get "${apt_opts[@]}" update -qq
apt-get "${apt_opts[@]}" install -y -qq --no-install-recommends "${missing[@]}"
