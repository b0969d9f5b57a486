#!/usr/bin/env bash
# Builds (once, cached) the Go template oracle used by the differential template tests.
#
#   tests/go_oracle/build.sh          build if needed; prints the binary's path on stdout
#   tests/go_oracle/build.sh --force  rebuild even when the cache is current
#
# Everything comes from Debian packages: Debian's Go (golang-go), sprig and its dependencies
# (golang-github-masterminds-sprig-dev) and sigs.k8s.io/yaml (golang-k8s-sigs-yaml-dev), built in
# GOPATH mode: no Go module is downloaded. The cache lives outside the repository; its stamp holds
# the recipe number and a hash of the sources, so an edit of main.go rebuilds. See README.md.
set -euo pipefail

# Bump when the build recipe changes: a cache with another stamp is rebuilt.
RECIPE=1
PACKAGES=(golang-go golang-github-masterminds-sprig-dev golang-k8s-sigs-yaml-dev)

HERE="$(cd "$(dirname "$0")" && pwd)"
CACHE="${EXTSECRETS_GO_ORACLE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/extsecrets-go-oracle}"
BIN="$CACHE/bin/go-oracle"
STAMP="$CACHE/bin/stamp"

log() { printf '[go-oracle %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# apt_ensure PACKAGE...: installs the missing ones only.
# shellcheck source=../apt_ensure.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_ensure.sh"

sources_hash() {
    (cd "$HERE" && find . -name '*.go' -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
        | sha256sum | cut -d' ' -f1
}

is_built() {
    [ -x "$BIN" ] && [ -f "$STAMP" ] && grep -qx "recipe=$RECIPE" "$STAMP" \
        && grep -qx "sources=$(sources_hash)" "$STAMP"
}

build_locked() {
    if [ "${1:-}" != --force ] && is_built; then
        return 0
    fi
    local t0=$SECONDS
    apt_ensure "${PACKAGES[@]}"
    # GOPATH mode: our package under a private GOPATH, Debian's Go libraries from /usr/share/gocode.
    local gopath="$CACHE/gopath"
    export GOPATH="$gopath:/usr/share/gocode" GO111MODULE=off GOFLAGS= GOCACHE="$CACHE/gocache"
    export GOTOOLCHAIN=local GOPROXY=off CGO_ENABLED=0
    local pkg="$gopath/src/extsecrets.test/oracle"
    rm -rf "$pkg"
    mkdir -p "$pkg"
    (cd "$HERE" && find . -name '*.go' -print0 | xargs -0 cp --parents -t "$pkg")
    mkdir -p "$CACHE/bin"
    log "go build ($(go env GOVERSION))"
    (cd "$pkg" && go build -trimpath -o "$BIN.tmp" .) >"$CACHE/build.log" 2>&1 \
        || { cat "$CACHE/build.log" >&2; die "go build failed"; }
    mv -f "$BIN.tmp" "$BIN"
    {
        echo "recipe=$RECIPE"
        echo "sources=$(sources_hash)"
        echo "go=$(go env GOVERSION)"
        local p
        for p in "${PACKAGES[@]:1}"; do
            echo "$p=$(dpkg-query -W -f='${Version}' "$p")"
        done
    } >"$STAMP"
    log "built in $((SECONDS - t0)) s: $(tr '\n' ' ' <"$STAMP")"
}

mkdir -p "$CACHE"
# Two test sessions may build at once: the second waits, then finds the cache filled.
( flock 9; build_locked "${1:-}" ) 9>"$CACHE/.lock"
echo "$BIN"
