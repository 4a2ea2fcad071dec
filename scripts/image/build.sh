#!/usr/bin/env bash
# `make image`: builds the operator image with podman (installed when missing) into the local
# image store, FROM the local base image (base.sh), and prints its tag on stdout:
#   localhost/highlander:<hash>, also tagged localhost/highlander:dev
# <hash> covers everything the build reads: the Dockerfile, .dockerignore, every file under the
# paths .dockerignore lets in (tests too: a needless rebuild, never a stale image) and the base's
# tag (itself a hash of its inputs). When that tag exists, nothing is built: a warm CI skips
# `podman build`. Otherwise podman's layer cache still skips `npm ci` while the lockfile is the same.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../e2e/lib/common.sh
source "$here/../../e2e/lib/common.sh"
eval "$(bash "$here/ensure-podman.sh")"
export CONTAINERS_CONF
base=$(bash "$here/base.sh")

cd "$REPO_ROOT"
mapfile -t inputs < <(sed -n 's#^!\(.*\)#\1#p' .dockerignore | sed 's#/$##')
hash=$( {
  echo "base $base"
  sha256sum Dockerfile .dockerignore
  find "${inputs[@]}" -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
} | sha256sum | cut -c1-12)
tag=localhost/highlander:$hash

if podman image exists "$tag"; then
  log "image $tag exists: reused"
else
  start=$(date +%s)
  log "image $tag: podman build FROM $base"
  # Host networking: `npm ci` reaches the npm registry without a container network stack.
  # The host's CA bundle: behind a TLS-intercepting proxy the host trusts a CA that Node's own
  # store lacks, so npm in the RUN steps trusts the host's bundle too (mounted for those steps
  # only, with an npmrc naming it; the final stage runs nothing, so none of it is in the image).
  trust=()
  if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
    echo 'cafile=/etc/ssl/certs/host-ca-certificates.crt' >"$STATE_DIR/podman/npmrc"
    trust=(--volume /etc/ssl/certs/ca-certificates.crt:/etc/ssl/certs/host-ca-certificates.crt:ro
      --volume "$STATE_DIR/podman/npmrc:/usr/local/etc/npmrc:ro")
  fi
  nice -n 10 podman build --pull=never --network host "${trust[@]}" --build-arg NODE_IMAGE="$base" \
    --tag "$tag" --file Dockerfile . >&2
  log "image $tag built in $(($(date +%s) - start)) s"
  # Older builds of this image go (their layers stay while the build cache uses them).
  podman images --format '{{.Repository}}:{{.Tag}}' localhost/highlander \
    | grep -vxF -e "$tag" -e localhost/highlander:dev | xargs -r podman rmi >/dev/null 2>&1 || true
fi
podman tag "$tag" localhost/highlander:dev
log "image $tag: $(podman image inspect --format '{{.Size}}' "$tag" | awk '{printf "%.0f MB", $1/1e6}')"
echo "$tag"
