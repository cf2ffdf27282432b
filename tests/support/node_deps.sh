#!/usr/bin/env bash
# Node.js and Duo's official Node SDK for tests/conformance, installed when missing.
#
#   bash tests/support/node_deps.sh [--strict] [DIR]
#
# 1. node and npm: from Debian (tests/support/system_deps.sh) when either is missing.
# 2. @duosecurity/duo_universal at the pinned version, npm-installed into DIR (default:
#    $XDG_CACHE_HOME/duoctl-tests/node-sdk), outside the repository: nothing lands in the work
#    tree, and a re-run with the package in place does nothing and touches no network.
# Without --strict a missing node/npm only warns (the conformance tests then skip locally, and
# fail under DUOCTL_REQUIRE_REAL=1); --strict (CI) makes it an error.
set -euo pipefail

SDK_PACKAGE=@duosecurity/duo_universal
SDK_VERSION=3.0.0

strict=()
if [[ ${1:-} == --strict ]]; then
    strict=(--strict)
    shift
fi
dir=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/duoctl-tests/node-sdk}
here=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")" && pwd)

if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
    bash "$here/system_deps.sh" "${strict[@]}" nodejs npm
    if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
        echo "node_deps.sh: node and npm are not available" >&2
        ((${#strict[@]})) && exit 1
        exit 0
    fi
fi

manifest=$dir/node_modules/$SDK_PACKAGE/package.json
if [[ -f $manifest ]] && grep -q "\"version\": \"$SDK_VERSION\"" "$manifest"; then
    exit 0
fi
mkdir -p "$dir"
echo "==> npm install $SDK_PACKAGE@$SDK_VERSION (into $dir)" >&2
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error \
    "$SDK_PACKAGE@$SDK_VERSION" >&2
