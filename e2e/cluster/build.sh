#!/usr/bin/env bash
# Builds the local control plane from Go modules, once per version:
#   etcd (wrapper module around go.etcd.io/etcd/server/v3),
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl
#   (wrapper module around k8s.io/kubernetes with every staging module replaced by its v0.Y.Z),
#   kwok (go install).
# `build.sh helm` builds only Helm (go install helm.sh/helm/v3/cmd/helm) and prints HELM_BIN.
# `build.sh toxiproxy` builds only toxiproxy-server (go install of the module's cmd/server)
#   and prints TOXIPROXY_BIN.
# `build.sh promtool` builds only promtool (Prometheus's rule checker and tester) and prints
# PROMTOOL_BIN.
# Output: one directory per component and version in the cache; nothing is built twice.
# Prints the bin directory of each component as KEY=path lines on stdout (for up.sh).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$here/versions.env"
cache=${HIGHLANDER_CACHE:-$HOME/.cache/highlander}
export GOFLAGS="${GOFLAGS:-} -buildvcs=false"
export GOTOOLCHAIN=local

log() { echo "build: $*" >&2; }

k8s_dir=$cache/bin/kubernetes-v$K8S_VERSION
etcd_dir=$cache/bin/etcd-v$ETCD_VERSION
kwok_dir=$cache/bin/kwok-v$KWOK_VERSION

build_etcd() {
  [ -x "$etcd_dir/etcd" ] && return 0
  log "etcd v$ETCD_VERSION (cold build)"
  local w; w=$(mktemp -d)
  # etcd's own go.mod replaces its sibling modules with local paths; a wrapper module
  # lets Go resolve them from the module proxy at the same version instead.
  cat > "$w/go.mod" <<MOD
module highlander.local/etcdbin

go 1.24
MOD
  (cd "$w" && go get "go.etcd.io/etcd/server/v3@v$ETCD_VERSION" >&2 \
     && go build -trimpath -ldflags "-s -w" -o "$w/out/etcd" go.etcd.io/etcd/server/v3 >&2)
  mkdir -p "$etcd_dir" && mv "$w/out/etcd" "$etcd_dir/etcd"
  rm -rf "$w"
}

build_kubernetes() {
  [ -x "$k8s_dir/kube-apiserver" ] && [ -x "$k8s_dir/kube-controller-manager" ] \
    && [ -x "$k8s_dir/kube-scheduler" ] && [ -x "$k8s_dir/kubectl" ] && return 0
  log "kubernetes v$K8S_VERSION (cold build)"
  local w; w=$(mktemp -d)
  # k8s.io/kubernetes replaces its staging modules with ./staging/src paths, which do not
  # exist in the module download; replace each with the published v0.Y.Z of the same release.
  local upstream
  upstream=$(curl -fsS "${GOPROXY_URL:-https://proxy.golang.org}/k8s.io/kubernetes/@v/v$K8S_VERSION.mod" 2>/dev/null) \
    || upstream=$(cd "$w" && go mod download -json "k8s.io/kubernetes@v$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p' | xargs cat)
  local minor=${K8S_VERSION#*.}; minor=${minor%%.*}
  {
    echo "module highlander.local/k8sbin"
    echo
    echo "go 1.24.0"
    echo
    echo "godebug default=go1.24"
    echo
    echo "require k8s.io/kubernetes v$K8S_VERSION"
    echo
    echo "replace ("
    echo "$upstream" | sed -n 's#^\s*\(k8s.io/[a-z0-9-]*\) => ./staging/src/k8s.io/.*#\1#p' \
      | while read -r m; do echo "	$m => $m v0.$minor.${K8S_VERSION##*.}"; done
    echo ")"
  } > "$w/go.mod"
  local pkg=k8s.io/component-base/version cpkg=k8s.io/client-go/pkg/version ld=""
  local date; date=$(date -u +%Y-%m-%dT%H:%M:%SZ)
  for p in $pkg $cpkg; do
    ld="$ld -X $p.gitVersion=v$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$minor"
    ld="$ld -X $p.gitTreeState=clean -X $p.buildDate=$date"
  done
  (cd "$w" && GOFLAGS="$GOFLAGS -mod=mod" go build -trimpath -ldflags "-s -w $ld" -o "$w/out/" \
      k8s.io/kubernetes/cmd/kube-apiserver \
      k8s.io/kubernetes/cmd/kube-controller-manager \
      k8s.io/kubernetes/cmd/kube-scheduler \
      k8s.io/kubernetes/cmd/kubectl >&2)
  mkdir -p "$k8s_dir" && mv "$w"/out/* "$k8s_dir/"
  rm -rf "$w"
}

build_kwok() {
  [ -x "$kwok_dir/kwok" ] && return 0
  log "kwok v$KWOK_VERSION (cold build)"
  local w; w=$(mktemp -d)
  GOBIN="$w" go install -trimpath -ldflags "-s -w" "sigs.k8s.io/kwok/cmd/kwok@v$KWOK_VERSION" >&2
  mkdir -p "$kwok_dir" && mv "$w/kwok" "$kwok_dir/kwok"
  rm -rf "$w"
}

helm_dir=$cache/bin/helm-v$HELM_VERSION

build_helm() {
  [ -x "$helm_dir/helm" ] && return 0
  log "helm v$HELM_VERSION (cold build)"
  local w; w=$(mktemp -d)
  # Helm's own Makefile stamps its version and the Kubernetes minor of its client-go, which
  # `helm template` reports as .Capabilities.KubeVersion; do the same.
  local kmod kminor ld
  kmod=$(curl -fsS "${GOPROXY_URL:-https://proxy.golang.org}/helm.sh/helm/v3/@v/v$HELM_VERSION.mod" 2>/dev/null || true)
  kminor=$(echo "$kmod" | sed -n 's#^\s*k8s.io/client-go v0\.\([0-9]*\)\..*#\1#p' | head -1)
  ld="-X helm.sh/helm/v3/internal/version.version=v$HELM_VERSION -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
  if [ -n "$kminor" ]; then
    for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
      ld="$ld -X $p.k8sVersionMajor=1 -X $p.k8sVersionMinor=$kminor"
    done
  fi
  GOBIN="$w" go install -trimpath -ldflags "-s -w $ld" "helm.sh/helm/v3/cmd/helm@v$HELM_VERSION" >&2
  mkdir -p "$helm_dir" && mv "$w/helm" "$helm_dir/helm"
  rm -rf "$w"
}

toxiproxy_dir=$cache/bin/toxiproxy-v$TOXIPROXY_VERSION

build_toxiproxy() {
  [ -x "$toxiproxy_dir/toxiproxy-server" ] && return 0
  log "toxiproxy v$TOXIPROXY_VERSION (cold build)"
  local w; w=$(mktemp -d)
  # The server's main package is cmd/server, so go install names the binary `server`; the
  # stamp is what its GET /version reports (release builds set it the same way, without the v).
  GOBIN="$w" go install -trimpath \
    -ldflags "-s -w -X github.com/Shopify/toxiproxy/v2.Version=$TOXIPROXY_VERSION" \
    "github.com/Shopify/toxiproxy/v2/cmd/server@v$TOXIPROXY_VERSION" >&2
  mkdir -p "$toxiproxy_dir" && mv "$w/server" "$toxiproxy_dir/toxiproxy-server"
  rm -rf "$w"
}

# `build.sh toxiproxy`: only Toxiproxy (network faults for the chaos tests; no control plane).
if [ "${1:-}" = toxiproxy ]; then
  build_toxiproxy
  echo "TOXIPROXY_BIN=$toxiproxy_dir/toxiproxy-server"
  exit 0
fi

promtool_dir=$cache/bin/promtool-v$PROMTOOL_VERSION

build_promtool() {
  [ -x "$promtool_dir/promtool" ] && return 0
  log "promtool v$PROMTOOL_VERSION (cold build)"
  local w; w=$(mktemp -d)
  # Prometheus publishes its v3.X.Y releases as module versions v0.3XX.Y (the module path has
  # no /v3 suffix); the version stamp carries the release name `promtool --version` prints.
  local minor=${PROMTOOL_VERSION#*.}; minor=${minor%%.*}
  local modver="v0.$(( 300 + minor )).${PROMTOOL_VERSION##*.}"
  local v=github.com/prometheus/common/version
  local ld="-X $v.Version=$PROMTOOL_VERSION -X $v.Branch=HEAD -X $v.BuildUser=highlander"
  ld="$ld -X $v.BuildDate=$(date -u +%Y%m%d-%H:%M:%S)"
  # About five minutes cold (a large module graph) on a shared machine: lower its priority.
  GOBIN="$w" nice -n 10 go install -trimpath -ldflags "-s -w $ld" \
    "github.com/prometheus/prometheus/cmd/promtool@$modver" >&2
  mkdir -p "$promtool_dir" && mv "$w/promtool" "$promtool_dir/promtool"
  rm -rf "$w"
}

if [ "${1:-}" = promtool ]; then
  build_promtool
  echo "PROMTOOL_BIN=$promtool_dir/promtool"
  exit 0
fi

# `build.sh helm`: only Helm (the chart's checks need no control plane binaries).
if [ "${1:-}" = helm ]; then
  build_helm
  echo "HELM_BIN=$helm_dir/helm"
  exit 0
fi

start=$(date +%s)
build_etcd
build_kwok
build_kubernetes
log "ready in $(( $(date +%s) - start )) s"
echo "ETCD_BIN=$etcd_dir/etcd"
echo "KWOK_BIN=$kwok_dir/kwok"
echo "K8S_BIN_DIR=$k8s_dir"
