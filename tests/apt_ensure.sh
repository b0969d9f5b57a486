# shellcheck shell=bash
# Sourced by tests/go_oracle/build.sh and tests/kube/apiserver.sh: installs the Debian packages
# that are missing, and only those (apt-get is slow even when it has nothing to do, and the machine
# may be shared). The caller defines `log` and `die` and sets CACHE (apt-get's log goes there).
apt_ensure() {
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' \
            || missing+=("$pkg")
    done
    [ ${#missing[@]} -eq 0 ] && return 0
    log "apt-get install ${missing[*]}"
    if [ "$(id -u)" -ne 0 ]; then die "need root to install: ${missing[*]}"; fi
    export DEBIAN_FRONTEND=noninteractive
    local out="$CACHE/apt-get.log"
    # The package lists may be absent or stale on a fresh machine: update once and retry.
    if ! apt-get install -y -q --no-install-recommends "${missing[@]}" >"$out" 2>&1; then
        if ! { apt-get update -q && apt-get install -y -q --no-install-recommends "${missing[@]}"; } \
            >"$out" 2>&1; then
            tail -n 20 "$out" >&2
            die "apt-get install ${missing[*]} failed (log: $out)"
        fi
    fi
}
