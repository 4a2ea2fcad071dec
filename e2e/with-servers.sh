#!/usr/bin/env bash
# Runs a command (the e2e tests, a benchmark) with the local control plane and the lock-store
# servers up. Starts whatever is not running yet and stops, afterwards, only what it started,
# so a developer's running cluster survives `make test`.
# Usage: with-servers.sh COMMAND [ARGS...]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/lib/common.sh"

started=()
cleanup() {
  local s
  for s in "${started[@]}"; do bash "$here/$s/down.sh" || true; done
}
trap cleanup EXIT

[ -f "$STATE_DIR/cluster/cluster.env" ] || started+=(cluster)
[ -f "$STATE_DIR/services.env" ] || started+=(services)
bash "$here/cluster/up.sh"
# The chart installs the CRDs for users; here, the cluster gets them from the repository.
"$STATE_DIR/bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" apply --server-side --force-conflicts -f "$REPO_ROOT/crds/" >/dev/null
# The fencing policies' bindings, for the fences the tests' operators keep in `default`.
bash "$here/cluster/fencing-bindings.sh" default \
  | "$STATE_DIR/bin/kubectl" --kubeconfig "$STATE_DIR/kubeconfig" apply --server-side --force-conflicts -f - >/dev/null
bash "$here/services/up.sh"
# The Argo CD health-script tests run Lua (Debian's lua5.4 and lua5.1).
bash "$here/lib/ensure-lua.sh"
# The dashboard's browser test drives Debian's chromium.
bash "$here/lib/ensure-chromium.sh"
cd "$REPO_ROOT"
"$@"
