#!/usr/bin/env bash
# A real kube-apiserver + etcd + kube-controller-manager on 127.0.0.1, for tests.
#
#   tests/kube/apiserver.sh build       build (once) and cache the binaries
#   tests/kube/apiserver.sh start DIR   certificates, etcd, apiserver, controller manager in DIR;
#                                       prints DIR/kubeconfig on stdout when the server is ready
#   tests/kube/apiserver.sh stop DIR    stops exactly the processes listed in DIR/pids
#   tests/kube/apiserver.sh stop-apiserver DIR   stops only the kube-apiserver (etcd, the
#                                       controller manager and every object stay)
#   tests/kube/apiserver.sh start-apiserver DIR  starts it again: same port and certificates
#   tests/kube/apiserver.sh start-extra-apiserver DIR  a second kube-apiserver over the same
#                                       etcd, on another port (DIR/kubeconfig-extra): the cluster
#                                       changes while the first one is away
#   tests/kube/apiserver.sh stop-extra-apiserver DIR   stops that second one
#
# EXTSECRETS_KUBE_AUDIT=1 at `start`: every API server of DIR writes an audit log (JSON lines,
# level Metadata: no object bodies) of the writes to Secrets, Leases and ExternalSecrets, to
# DIR/audit.log (DIR/audit-extra.log for the extra one).
#
# Everything comes from Debian packages: nothing on PyPI ships a kube-apiserver and the machines
# reach no other download site. Debian bookworm's *source* package `kubernetes` (upstream v1.20.2,
# vendor/ included) is built with Debian's Go; etcd is the binary of Debian's `etcd-server`.
# Progress goes to stderr; the only stdout line of `start` is the kubeconfig path, so
#   KUBECONFIG=$(tests/kube/apiserver.sh start "$dir")
# works. See tests/kube/README.md.
set -euo pipefail

# Bump when the build recipe changes: a cache with another stamp is rebuilt.
RECIPE=1

CACHE="${EXTSECRETS_KUBE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/extsecrets-kube}"
BIN="$CACHE/bin"
STAMP="$BIN/stamp"
WORK="$CACHE/work"        # source tree, GOPATH, Go caches; removed after a successful build
APTDIR="$CACHE/apt"       # private apt state holding deb-src entries; the system's is untouched

# Controllers the tests rely on: namespace deletion, ownerReference GC, the `default`
# ServiceAccount and its token, aggregated ClusterRoles, the kube-root-ca.crt ConfigMap.
CONTROLLERS="${EXTSECRETS_KUBE_CONTROLLERS:-garbagecollector,namespace,serviceaccount,serviceaccount-token,clusterrole-aggregation,root-ca-cert-publisher}"
SA_ISSUER="https://kubernetes.default.svc.cluster.local"

log() { printf '[kube %(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }
usage() { sed -n '2,25p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }

# ---------------------------------------------------------------------------------------------
# build
# ---------------------------------------------------------------------------------------------

# apt_ensure PACKAGE...: installs the missing ones only.
# shellcheck source=../apt_ensure.sh
. "$(dirname "${BASH_SOURCE[0]}")/../apt_ensure.sh"

# apt-get with a private sources list and private state, so that adding deb-src entries and
# refreshing their indexes does not touch the system's apt configuration.
apt_private() {
    apt-get -q \
        -o Dir::Etc::SourceList="$APTDIR/sources.list" \
        -o Dir::Etc::SourceParts="$APTDIR/sources.list.d" \
        -o Dir::State::Lists="$APTDIR/lists" \
        -o Dir::Cache="$APTDIR/cache" \
        -o APT::Sandbox::User=root \
        "$@"
}

# Writes $APTDIR/sources.list: one deb-src line per `deb` entry of the system's own apt sources
# (one-line *.list and deb822 *.sources files) for this release's suites, so the source comes
# from whatever mirror the machine already uses. No host name is written here.
write_deb_src() {
    local codename
    codename="$(. /etc/os-release && echo "${VERSION_CODENAME:-}")"
    # The recipe (Go 1.19, kubernetes 1.20 with vendor/) is that of bookworm.
    [ "$codename" = bookworm ] || die "needs Debian bookworm, this is '${codename:-unknown}'"
    mkdir -p "$APTDIR/sources.list.d" "$APTDIR/lists/partial" "$APTDIR/cache/archives/partial"
    python3 - "$codename" >"$APTDIR/sources.list" <<'PY'
import glob, os, re, sys
codename = sys.argv[1]
suites_wanted = {codename, codename + "-updates", codename + "-security"}
out = []

def emit(uri, suite, comps, signed_by):
    if suite not in suites_wanted:
        return
    opts = f"[signed-by={signed_by}] " if signed_by else ""
    out.append(f"deb-src {opts}{uri} {suite} {' '.join(comps)}")

files = ["/etc/apt/sources.list"] + sorted(glob.glob("/etc/apt/sources.list.d/*.list"))
for path in files:
    if not os.path.exists(path):
        continue
    for line in open(path):
        line = line.split("#", 1)[0].strip()
        m = re.match(r"^deb\s+(?:\[([^\]]*)\]\s+)?(\S+)\s+(\S+)\s+(.*)$", line)
        if not m:
            continue
        opts = dict(o.split("=", 1) for o in (m.group(1) or "").split() if "=" in o)
        emit(m.group(2), m.group(3), m.group(4).split(), opts.get("signed-by"))

for path in sorted(glob.glob("/etc/apt/sources.list.d/*.sources")):
    for stanza in re.split(r"\n\s*\n", open(path).read()):
        fields, key = {}, None
        for line in stanza.splitlines():
            if line.startswith("#"):
                continue
            if line[:1] in (" ", "\t") and key:          # continuation line
                fields[key] += " " + line.strip()
            elif ":" in line:
                key, val = line.split(":", 1)
                key = key.strip().lower()
                fields[key] = val.strip()
        if "deb" not in fields.get("types", "").split():
            continue
        if fields.get("enabled", "yes").lower() == "no":
            continue
        for uri in fields.get("uris", "").split():
            for suite in fields.get("suites", "").split():
                emit(uri, suite, fields.get("components", "main").split(), fields.get("signed-by"))

if not out:
    sys.exit(f"no 'deb' entry for {sorted(suites_wanted)} in the apt sources")
print("\n".join(dict.fromkeys(out)))
PY
}

# Extracts one file tree of a Debian binary package without installing it (for etcd-server
# this also avoids its postinst, which would start a system etcd on the default ports).
deb_extract() {   # package destdir
    local pkg="$1" dest="$2" tmp
    tmp="$(mktemp -d "$CACHE/deb.XXXXXX")"
    (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2) \
        || { apt-get update -qq >&2; (cd "$tmp" && apt-get download -qq -o APT::Sandbox::User=root "$pkg" >&2); }
    mkdir -p "$dest"
    dpkg-deb -x "$tmp"/*.deb "$dest"
    rm -rf "$tmp"
}

is_built() {
    [ -x "$BIN/kube-apiserver" ] && [ -x "$BIN/kube-controller-manager" ] && [ -x "$BIN/etcd" ] \
        && [ -f "$STAMP" ] && grep -qx "recipe=$RECIPE" "$STAMP"
}

cmd_build() {
    mkdir -p "$CACHE"
    # Two test runs may build at once: the second waits, then finds the cache filled. The lock
    # is held by a subshell so that its descriptor is not inherited by the daemons of `start`.
    ( flock 9; build_locked ) 9>"$CACHE/.lock"
}

build_locked() {
    if is_built; then
        log "cached: $(tr '\n' ' ' <"$STAMP")"
        return 0
    fi
    local t0=$SECONDS
    # Build tools. jq and rsync are used by `make gen_openapi`; gcc for cgo in the generators.
    apt_ensure golang-go make gcc libc6-dev rsync jq dpkg-dev openssl curl python3

    log "fetching the source package 'kubernetes' (deb-src from the system's own mirrors)"
    write_deb_src
    sed 's/^/[kube]   /' "$APTDIR/sources.list" >&2
    apt_private update -qq >&2
    rm -rf "$WORK"
    mkdir -p "$WORK/src"
    (cd "$WORK/src" && apt_private source -qq kubernetes >&2)
    local tree
    tree="$(find "$WORK/src" -mindepth 1 -maxdepth 1 -type d -name 'kubernetes-*' | head -n1)"
    [ -n "$tree" ] && [ -d "$tree/vendor" ] || die "no unpacked kubernetes source with vendor/ in $WORK/src"
    # Debian version like 1.20.5+really1.20.2-1.1+deb12u1: the code is upstream 1.20.2.
    local debver version
    debver="$(cd "$tree" && dpkg-parsechangelog -S Version)"
    version="v$(sed -E 's/^[0-9]+://; s/.*really//; s/-[^-]*$//' <<<"$debver")"
    log "source: kubernetes $debver ($version) in $tree"

    # GOPATH mode: module mode would try to download modules, and nothing is reachable.
    export GOPATH="$WORK/gopath" GO111MODULE=off GOFLAGS= GOCACHE="$WORK/gocache" CGO_ENABLED=0
    export GOTOOLCHAIN=local GOPROXY=off
    mkdir -p "$GOPATH/src/k8s.io"
    ln -sfn "$tree" "$GOPATH/src/k8s.io/kubernetes"
    local k8s="$GOPATH/src/k8s.io/kubernetes"

    # reflect2 1.0.1 (vendored) reads Go runtime internals that changed in Go 1.18 and crashes
    # at run time; Debian's 1.0.2 has the same API and works with Go 1.19.
    log "replacing vendored github.com/modern-go/reflect2 by Debian's golang-github-modern-go-reflect2-dev"
    deb_extract golang-github-modern-go-reflect2-dev "$WORK/reflect2"
    local r2="$WORK/reflect2/usr/share/gocode/src/github.com/modern-go/reflect2"
    [ -f "$r2/reflect2.go" ] || die "reflect2 sources not found in the package"
    rm -rf "$k8s/vendor/github.com/modern-go/reflect2"
    cp -rL "$r2" "$k8s/vendor/github.com/modern-go/reflect2"
    find "$k8s/vendor/github.com/modern-go/reflect2" -name '*_test.go' -delete

    # pkg/generated/openapi/zz_generated.openapi.go is not in the source package, and the
    # apiserver does not compile without it.
    log "make gen_openapi"
    # KUBE_GIT_*: the tree has no .git for hack/lib/version.sh to read.
    (cd "$k8s" && KUBE_GIT_VERSION="$version" KUBE_GIT_TREE_STATE=clean make gen_openapi) >"$WORK/gen_openapi.log" 2>&1 \
        || { tail -n 40 "$WORK/gen_openapi.log" >&2; die "make gen_openapi failed"; }
    [ -f "$k8s/pkg/generated/openapi/zz_generated.openapi.go" ] || die "gen_openapi produced no file"

    # Version stamping as upstream does it, so that /version and clients see v1.20.2.
    local pkgs="k8s.io/kubernetes/vendor/k8s.io/component-base/version k8s.io/kubernetes/vendor/k8s.io/client-go/pkg/version"
    local ldflags="-s -w" p minor
    minor="$(cut -d. -f2 <<<"$version")"
    for p in $pkgs; do
        ldflags+=" -X $p.gitVersion=$version -X $p.gitMajor=1 -X $p.gitMinor=$minor"
        ldflags+=" -X $p.gitTreeState=clean -X $p.buildDate=$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    done
    mkdir -p "$WORK/out"
    local c
    for c in kube-apiserver kube-controller-manager; do
        log "go build $c (a few minutes)"
        (cd "$k8s" && go build -trimpath -ldflags "$ldflags" -o "$WORK/out/$c" "k8s.io/kubernetes/cmd/$c") \
            >"$WORK/build-$c.log" 2>&1 || { tail -n 40 "$WORK/build-$c.log" >&2; die "go build $c failed"; }
    done

    log "extracting etcd from Debian's etcd-server"
    deb_extract etcd-server "$WORK/etcd"
    cp "$WORK/etcd/usr/bin/etcd" "$WORK/out/etcd"

    # Publish atomically-ish: binaries first, the stamp last.
    mkdir -p "$BIN"
    rm -f "$STAMP"
    for c in kube-apiserver kube-controller-manager etcd; do
        install -m 0755 "$WORK/out/$c" "$BIN/$c.tmp"
        mv -f "$BIN/$c.tmp" "$BIN/$c"
    done
    {
        echo "recipe=$RECIPE"
        echo "kubernetes=$debver"
        echo "version=$version"
        echo "go=$(go env GOVERSION)"
        echo "etcd=$("$BIN/etcd" --version | sed -n 's/^etcd Version: //p')"
    } >"$STAMP"
    # The tree, GOPATH and Go cache take about 2 GB and are only useful to rebuild.
    rm -rf "$WORK" "$APTDIR"
    log "built in $((SECONDS - t0)) s: $(tr '\n' ' ' <"$STAMP")"
}

# ---------------------------------------------------------------------------------------------
# start / stop
# ---------------------------------------------------------------------------------------------

# N distinct free ports on 127.0.0.1: all sockets are held open until every port is chosen.
free_ports() {
    python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

# Certificates for one throw-away cluster (valid 10 years; the CA key stays in DIR). TLS keys
# are EC P-256: an RSA key takes most of a second to generate on these machines.
make_certs() {
    local d="$1" ext ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
    log "certificates in $d"
    openssl req -x509 "${ec[@]}" -days 3650 -subj "/CN=extsecrets-test-ca" \
        -keyout "$d/ca.key" -out "$d/ca.crt" 2>/dev/null
    sign() {   # name subject extensions
        openssl req -new "${ec[@]}" -subj "$2" \
            -keyout "$d/$1.key" -out "$d/$1.csr" 2>/dev/null
        openssl x509 -req -in "$d/$1.csr" -CA "$d/ca.crt" -CAkey "$d/ca.key" -CAcreateserial \
            -days 3650 -out "$d/$1.crt" -extfile <(printf '%s\n' "$3") 2>/dev/null
        rm -f "$d/$1.csr"
    }
    ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=serverAuth
subjectAltName=IP:127.0.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
    sign apiserver "/CN=kube-apiserver" "$ext"
    ext="basicConstraints=CA:FALSE
keyUsage=critical,digitalSignature
extendedKeyUsage=clientAuth"
    # Group system:masters is bound to cluster-admin and bypasses RBAC.
    sign admin "/O=system:masters/CN=extsecrets-admin" "$ext"
    # The controller manager runs all controllers under its own identity
    # (--use-service-account-credentials=false), so it needs every right as well.
    sign controller-manager "/O=system:masters/CN=system:kube-controller-manager" "$ext"
    # Service-account tokens: signed with sa.key by the apiserver (TokenRequest) and by the
    # controller manager (legacy token Secrets), verified with sa.pub. RSA, hence RS256 tokens,
    # as on most clusters.
    openssl genrsa -out "$d/sa.key" 2048 2>/dev/null
    openssl rsa -in "$d/sa.key" -pubout -out "$d/sa.pub" 2>/dev/null
    chmod 600 "$d"/*.key
}

# A kubeconfig with the certificates embedded, so it can be copied anywhere.
write_kubeconfig() {   # file server user
    local f="$1" server="$2" user="$3" d
    d="$(dirname "$f")"
    cat >"$f" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: extsecrets-test
  cluster:
    server: $server
    certificate-authority-data: $(base64 -w0 <"$d/ca.crt")
users:
- name: $user
  user:
    client-certificate-data: $(base64 -w0 <"$d/$user.crt")
    client-key-data: $(base64 -w0 <"$d/$user.key")
contexts:
- name: extsecrets-test
  context:
    cluster: extsecrets-test
    user: $user
current-context: extsecrets-test
EOF
    chmod 600 "$f"
}

# Starts a daemon in its own session (setsid: no controlling terminal, not in the caller's
# process group, so it survives this script and a ^C in the calling shell), logs to DIR/NAME.log
# and appends its PID to DIR/pids. Without job control, the background child is not a process
# group leader, so setsid calls setsid() and execs in place: $! is the daemon's own PID.
# Descriptors above 2 inherited from the caller are closed first: a daemon holding, say, the
# write end of a caller's pipe would keep that caller waiting for end-of-file.
launch() {   # dir name command...
    local d="$1" name="$2"
    shift 2
    (
        for f in /proc/self/fd/*; do
            fd="${f##*/}"
            if [ "$fd" -gt 2 ]; then exec {fd}>&-; fi
        done
        exec setsid "$@"
    ) </dev/null >"$d/$name.log" 2>&1 &
    echo "$! $name" >>"$d/pids"
    log "started $name (pid $!)"
}

pid_of() { awk -v n="$2" '$2 == n { print $1 }' "$1/pids"; }

alive() { kill -0 "$1" 2>/dev/null; }

# Polls CHECK (a command) until it succeeds, failing early when the process PID has died.
wait_for() {   # what pid timeout command...
    local what="$1" pid="$2" timeout="$3" t0=$SECONDS
    shift 3
    until "$@" >/dev/null 2>&1; do
        alive "$pid" || die "$what exited"
        [ $((SECONDS - t0)) -lt "$timeout" ] || die "$what not ready after ${timeout}s"
        sleep 0.3
    done
}

cmd_start() {
    [ $# -eq 1 ] || usage
    mkdir -p "$1"
    local d
    d="$(cd "$1" && pwd)"
    if [ -f "$d/pids" ]; then
        local p
        for p in $(awk '{print $1}' "$d/pids"); do
            alive "$p" && die "$d/pids lists running process $p: run '$0 stop $d' first"
        done
        rm -f "$d/pids"
    fi
    is_built || cmd_build
    # etcd refuses to start when an ETCD_* variable shadows one of its flags
    # ("conflicting environment variable ... is shadowed by corresponding command-line flag").
    local v
    for v in $(compgen -e | grep '^ETCD_' || true); do unset "$v"; done

    local t0=$SECONDS
    # From here on, a failure stops whatever was started and shows the logs.
    trap 'start_failed "$d"' EXIT

    rm -rf "$d/etcd" "$d"/*.log
    make_certs "$d"
    local etcd_port peer_port api_port kcm_port
    read -r etcd_port peer_port api_port kcm_port <<<"$(free_ports 4)"
    local server="https://127.0.0.1:$api_port"
    write_kubeconfig "$d/kubeconfig" "$server" admin
    write_kubeconfig "$d/controller-manager.kubeconfig" "$server" controller-manager

    launch "$d" etcd "$BIN/etcd" \
        --name extsecrets-test \
        --data-dir "$d/etcd" \
        --listen-client-urls "http://127.0.0.1:$etcd_port" \
        --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "extsecrets-test=http://127.0.0.1:$peer_port" \
        --initial-cluster-state new \
        --unsafe-no-fsync
    wait_for etcd "$(pid_of "$d" etcd)" 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
    # Tests that need etcd itself (compacting it to make a watch expire) find it here.
    printf 'http://127.0.0.1:%s\n' "$etcd_port" >"$d/etcd-url"

    rm -f "$d/audit-policy.yaml" "$d"/audit*.log
    if [ -n "${EXTSECRETS_KUBE_AUDIT:-}" ]; then write_audit_policy "$d/audit-policy.yaml"; fi
    start_apiserver "$d" "$etcd_port" "$api_port"
    local curl_admin=(curl -fsS --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key")

    # --port 0: 1.20 otherwise serves insecure HTTP on 0.0.0.0:10252.
    # --authentication-skip-lookup: the apiserver has no front-proxy (requestheader) CA, and
    #   looking it up in kube-system/extension-apiserver-authentication logs an error a second.
    launch "$d" kube-controller-manager "$BIN/kube-controller-manager" \
        --kubeconfig "$d/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$d/controller-manager.kubeconfig" \
        --authorization-kubeconfig "$d/controller-manager.kubeconfig" \
        --authentication-skip-lookup \
        --bind-address 127.0.0.1 \
        --secure-port "$kcm_port" \
        --port 0 \
        --cert-dir "$d/controller-manager-certs" \
        --leader-elect=false \
        --use-service-account-credentials=false \
        --controllers "$CONTROLLERS" \
        --root-ca-file "$d/ca.crt" \
        --service-account-private-key-file "$d/sa.key" \
        --profiling=false
    wait_for kube-controller-manager "$(pid_of "$d" kube-controller-manager)" 60 \
        curl -fsSk "https://127.0.0.1:$kcm_port/healthz"
    # Tests expect what a cluster has: the `default` ServiceAccount of namespace default
    # appears once the serviceaccount controller has synced.
    if [[ ",$CONTROLLERS," == *,serviceaccount,* ]]; then
        wait_for "default ServiceAccount" "$(pid_of "$d" kube-controller-manager)" 60 \
            "${curl_admin[@]}" "$server/api/v1/namespaces/default/serviceaccounts/default"
    fi

    trap - EXIT
    log "ready in $((SECONDS - t0)) s: $server (logs and pids in $d)"
    echo "$d/kubeconfig"
}

# The audit policy of EXTSECRETS_KUBE_AUDIT: who wrote which Secret, Lease or ExternalSecret
# (status included), when, and with what answer; Metadata level, so no object body (no secret
# value) is ever in the log.
write_audit_policy() {   # file
    cat >"$1" <<'EOF'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  verbs: [create, update, patch, delete]
  resources:
  - group: ""
    resources: [secrets]
  - group: coordination.k8s.io
    resources: [leases]
  - group: external-secrets.io
    resources: [externalsecrets, externalsecrets/status]
- level: None
EOF
}

# Starts a kube-apiserver of DIR (NAME: kube-apiserver, or kube-apiserver-extra) on API_PORT,
# over the etcd on ETCD_PORT, and waits until it is ready (used by `start`, by `start-apiserver`
# after `stop-apiserver`, and by `start-extra-apiserver`).
start_apiserver() {   # dir etcd_port api_port [name]
    local d="$1" etcd_port="$2" api_port="$3" name="${4:-kube-apiserver}"
    local server="https://127.0.0.1:$api_port" audit=()
    if [ -f "$d/audit-policy.yaml" ]; then
        local log="$d/audit.log"
        [ "$name" = kube-apiserver ] || log="$d/audit-${name#kube-apiserver-}.log"
        # blocking mode: an event is in the file once the request was answered
        audit=(--audit-policy-file "$d/audit-policy.yaml" --audit-log-path "$log"
            --audit-log-format json --audit-log-mode blocking --audit-log-maxbackup 0)
    fi
    # --insecure-port 0: 1.20 otherwise serves unauthenticated HTTP on 8080.
    # --endpoint-reconciler-type none: the `kubernetes` Service endpoints would otherwise be
    #   reconciled to the advertise address, which may not be a loopback one.
    # --cert-dir: where it would write self-signed certificates (default /var/run/kubernetes).
    # --watch-cache=false: watches are served by etcd itself, so one older than etcd's last
    #   compaction gets 410 Gone as on a busy cluster (the relist tests compact etcd to get it).
    launch "$d" "$name" "$BIN/kube-apiserver" \
        "${audit[@]}" \
        --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 \
        --secure-port "$api_port" \
        --insecure-port 0 \
        --advertise-address 127.0.0.1 \
        --endpoint-reconciler-type none \
        --cert-dir "$d/$name-certs" \
        --tls-cert-file "$d/apiserver.crt" \
        --tls-private-key-file "$d/apiserver.key" \
        --client-ca-file "$d/ca.crt" \
        --authorization-mode RBAC \
        --service-account-issuer "$SA_ISSUER" \
        --api-audiences "$SA_ISSUER" \
        --service-account-key-file "$d/sa.pub" \
        --service-account-signing-key-file "$d/sa.key" \
        --service-cluster-ip-range 10.0.0.0/24 \
        --profiling=false \
        --watch-cache=false
    local curl_admin=(curl -fsS --cacert "$d/ca.crt" --cert "$d/admin.crt" --key "$d/admin.key")
    wait_for "$name" "$(pid_of "$d" "$name")" 90 "${curl_admin[@]}" "$server/readyz"
}

# Stops only the kube-apiserver of DIR (tests of an API server outage): etcd keeps every object,
# the controller manager keeps running, and `start-apiserver` brings it back as it was.
cmd_stop_apiserver() {   # dir [name]
    [ $# -ge 1 ] || usage
    local d="$1" name="${2:-kube-apiserver}" p
    p="$(pid_of "$d" "$name" 2>/dev/null || true)"
    [ -n "$p" ] || die "no $name in $d/pids"
    if alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$d/"; then
        kill -TERM "$p" 2>/dev/null || true
        local deadline=$((SECONDS + 10))
        while alive "$p" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if alive "$p"; then kill -KILL "$p" 2>/dev/null || true; fi
    fi
    awk -v n="$name" '$2 != n' "$d/pids" >"$d/pids.tmp" && mv -f "$d/pids.tmp" "$d/pids"
    log "stopped $name (pid $p)"
}

# Starts the kube-apiserver of DIR again (same port, certificates and etcd), or with NAME
# kube-apiserver-extra a second one over the same etcd on a free port, with DIR/kubeconfig-extra:
# the cluster stays writable while the first one is stopped (as with several API servers).
cmd_start_apiserver() {   # dir [name]
    [ $# -ge 1 ] || usage
    local d="$1" name="${2:-kube-apiserver}" etcd_port api_port config
    [ -z "$(pid_of "$d" "$name" 2>/dev/null || true)" ] \
        || die "$d/pids lists a $name: stop it first"
    etcd_port="$(sed -E 's#.*:([0-9]+)$#\1#' "$d/etcd-url")"
    if [ "$name" = kube-apiserver ]; then
        config="$d/kubeconfig"
        api_port="$(sed -nE 's#^ *server: https://127\.0\.0\.1:([0-9]+)$#\1#p' "$config")"
    else
        config="$d/kubeconfig-extra"
        api_port="$(free_ports 1)"
        write_kubeconfig "$config" "https://127.0.0.1:$api_port" admin
    fi
    [ -n "$etcd_port" ] && [ -n "$api_port" ] || die "no etcd URL or server address in $d"
    start_apiserver "$d" "$etcd_port" "$api_port" "$name"
    log "$name ready: https://127.0.0.1:$api_port"
    echo "$config"
}

start_failed() {
    local d="$1" f
    log "start failed; last log lines:"
    for f in "$d"/*.log; do
        [ -f "$f" ] || continue
        echo "----- $f" >&2
        tail -n 25 "$f" >&2
    done
    cmd_stop "$d" || true
}

cmd_stop() {
    [ $# -eq 1 ] || usage
    local d="$1" pids=() p name
    [ -f "$d/pids" ] || { log "no $d/pids: nothing to stop"; return 0; }
    # Reverse order: controller manager, apiserver, then etcd. A PID whose command line does not
    # mention DIR was reused by another process after ours died: it is left alone.
    while read -r p name; do
        if alive "$p" && tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | grep -qF "$d/"; then
            pids=("$p" "${pids[@]}")
        fi
    done <"$d/pids"
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null || true; done
    local deadline=$((SECONDS + 10))
    for p in "${pids[@]}"; do
        while alive "$p" && [ $SECONDS -lt $deadline ]; do sleep 0.2; done
        if alive "$p"; then
            log "pid $p ignored TERM: KILL"
            kill -KILL "$p" 2>/dev/null || true
        fi
    done
    rm -f "$d/pids"
    log "stopped ${#pids[@]} process(es) of $d"
}

case "${1:-}" in
    build) shift; [ $# -eq 0 ] || usage; cmd_build ;;
    start) shift; cmd_start "$@" ;;
    stop)  shift; [ $# -eq 1 ] || usage; cmd_stop "$(cd "$1" 2>/dev/null && pwd || echo "$1")" ;;
    stop-apiserver)  shift; [ $# -eq 1 ] || usage; cmd_stop_apiserver "$(cd "$1" && pwd)" ;;
    start-apiserver) shift; [ $# -eq 1 ] || usage; cmd_start_apiserver "$(cd "$1" && pwd)" ;;
    start-extra-apiserver)
        shift; [ $# -eq 1 ] || usage; cmd_start_apiserver "$(cd "$1" && pwd)" kube-apiserver-extra ;;
    stop-extra-apiserver)
        shift; [ $# -eq 1 ] || usage; cmd_stop_apiserver "$(cd "$1" && pwd)" kube-apiserver-extra ;;
    *) usage ;;
esac
