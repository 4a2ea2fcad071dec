#!/usr/bin/env bash
# The local cluster's volume recycler: a test's PersistentVolume, once its claim is deleted, is
# Released and (reclaim policy Retain, no provisioner here) never bound again. This watches the
# test volumes and makes each Released one Available again by removing its claimRef, so suites
# and demos that create StatefulSets never run out of volumes. kwok mounts nothing: there is
# no data to scrub. Usage: recycle-volumes.sh KUBECTL KUBECONFIG
set -uo pipefail
kubectl=$1 kubeconfig=$2
# Stopped with SIGTERM (down.sh): take the watch down too. up.sh starts this in its own
# process group (setsid), so the group is exactly this script and its children.
trap 'trap - TERM; kill -- -$$ 2>/dev/null; exit 0' TERM
while true; do
  # One line per volume on start, then one per change, until the watch ends. In the
  # background, so that the trap above runs at once rather than after the pipeline.
  "$kubectl" --kubeconfig "$kubeconfig" get pv -l highlander.plexobject.io/test-volume=true --watch \
    -o jsonpath='{.metadata.name}{" "}{.status.phase}{"\n"}' 2>/dev/null |
    while read -r pv phase; do
      [ "$phase" = Released ] || continue
      "$kubectl" --kubeconfig "$kubeconfig" patch pv "$pv" --type json \
        -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null 2>&1 && echo "$(date +%T) recycled $pv"
    done &
  wait $!
  sleep 1 # the watch ended (server timeout, API server restart): watch again
done
