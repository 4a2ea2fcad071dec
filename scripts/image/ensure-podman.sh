#!/usr/bin/env bash
# Installs podman from Debian packages when it is missing, and writes the containers.conf that
# every podman call of the image scripts and the image test uses (passed as CONTAINERS_CONF, so
# nothing under /etc is edited). Idempotent; prints CONTAINERS_CONF=<path> on stdout.
#   runtime = "runc"      crun fails on this machine's cgroup setup (hybrid v1); runc works
#   default_ulimits = []  the packaged default raises RLIMIT_NOFILE beyond what the VM permits
#                         ("error setting rlimit type 7: operation not permitted")
set -euo pipefail
# shellcheck source=../../e2e/lib/common.sh
source "$(cd "$(dirname "$0")" && pwd)/../../e2e/lib/common.sh"

# As root, with host networking and overlay storage on the host's filesystem, podman needs none
# of the rootless helpers it recommends (uidmap, slirp4netns, fuse-overlayfs).
command -v podman >/dev/null && command -v runc >/dev/null || nice -n 10 bash -c \
  "source '$REPO_ROOT/e2e/lib/common.sh'; apt_install podman runc"
[ -z "$(command -v podman)" ] && die "podman is still missing after the install"

conf=$STATE_DIR/podman/containers.conf
mkdir -p "$(dirname "$conf")"
want='# Written by scripts/image/ensure-podman.sh; see there why.
[containers]
default_ulimits = []

[engine]
runtime = "runc"'
[ -f "$conf" ] && [ "$(cat "$conf")" = "$want" ] || printf '%s\n' "$want" >"$conf"
echo "CONTAINERS_CONF=$conf"
