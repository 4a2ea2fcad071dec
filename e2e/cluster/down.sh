#!/usr/bin/env bash
# Stops every process `up.sh` started and removes the cluster's state. Idempotent.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/common.sh"
run=$STATE_DIR/cluster
# Clients first, the store last, so nothing logs a storm of connection errors.
for p in volume-recycler kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
  stop_pidfile "$run/pids/$p.pid" "$p"
done
rm -rf "$run" "$STATE_DIR/kubeconfig" "$STATE_DIR/bin" "$STATE_DIR/kube-cache"
log "cluster down"
