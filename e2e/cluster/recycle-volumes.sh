#!/usr/bin/env bash
# The local cluster's volume recycler: a test's PersistentVolume, once its claim is deleted, is
# Released and (reclaim policy Retain, no provisioner here) never bound again. Every 2 s this
# makes the test volumes that are Released Available again by removing their claimRef, so
# suites and demos that create StatefulSets never run out of volumes. kwok mounts nothing:
# there is no data to scrub. Usage: recycle-volumes.sh KUBECTL KUBECONFIG
set -uo pipefail
kubectl=$1 kubeconfig=$2
while sleep 2; do
  released=$("$kubectl" --kubeconfig "$kubeconfig" get pv -l highlander.plexobject.io/test-volume=true \
    -o jsonpath='{range .items[?(@.status.phase=="Released")]}{.metadata.name}{"\n"}{end}' 2>/dev/null) || continue
  for pv in $released; do
    "$kubectl" --kubeconfig "$kubeconfig" patch pv "$pv" --type json \
      -p '[{"op":"remove","path":"/spec/claimRef"}]' >/dev/null 2>&1 && echo "$(date +%T) recycled $pv"
  done
done
