#!/usr/bin/env bash
# Let an unprivileged user run this checkout's duoctl, for the plain-user server tests
# (tests/server): they switch to `nobody` with setpriv, as an admin's colleague without
# root would run duoctl on a server.
#
#   bash tests/support/plain_user.sh [USER]     (as root; default USER: nobody)
#
# A checkout under a private directory (mktemp -d is 0700, /root is 0700) cannot be reached
# by another user. This grants search permission (o+x, never read) on each parent directory
# of the checkout and of the venv's interpreter, and only where that user is refused.
# Exits 0 when the user can run `duoctl --version`; non-root callers get a note and exit 0.
set -euo pipefail

user=${1:-nobody}
root_dir=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/../.." && pwd)
duoctl="$root_dir/.venv/bin/duoctl"

if [[ $(id -u) != 0 ]]; then
    echo "plain_user.sh: not root; the plain-user server tests will skip (or fail in CI)" >&2
    exit 0
fi

can_run() {
    setpriv --reuid="$user" --regid="$(id -g "$user")" --clear-groups -- "$duoctl" --version \
        >/dev/null 2>&1
}

can_run && exit 0

grant_search() {
    local dir=$1
    while [[ $dir != / ]]; do
        if [[ $(( $(stat -c '%a' "$dir" | sed 's/^/8#/') & 1 )) == 0 ]]; then
            echo "plain_user.sh: chmod o+x $dir (so that $user can reach duoctl)" >&2
            chmod o+x "$dir"
        fi
        dir=$(dirname "$dir")
    done
}

# The checkout first; the interpreter's directories (e.g. a pyenv under /root) only if the
# user still cannot run it after that.
grant_search "$root_dir/.venv/bin"
can_run && exit 0
grant_search "$(dirname "$(readlink -f "$root_dir/.venv/bin/python")")"

if ! can_run; then
    echo "plain_user.sh: $user still cannot run $duoctl" >&2
    exit 1
fi
