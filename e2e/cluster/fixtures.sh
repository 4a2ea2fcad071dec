#!/usr/bin/env bash
# Prints the cluster's fixed objects as YAML: NODES fake nodes that kwok manages and VOLUMES
# pre-created PersistentVolumes (no provisioner runs here; kwok mounts nothing, so the
# hostPath is never touched). Usage: fixtures.sh NODES VOLUMES
set -euo pipefail
nodes=${1:-3} volumes=${2:-40}
for i in $(seq 1 "$nodes"); do cat <<EOF2
---
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  annotations: {kwok.x-k8s.io/node: fake, node.alpha.kubernetes.io/ttl: "0"}
  labels:
    kubernetes.io/hostname: kwok-node-$i
    kubernetes.io/os: linux
    kubernetes.io/arch: amd64
    topology.kubernetes.io/zone: zone-$i
    type: kwok
status:
  allocatable: {cpu: "1000", memory: 4Ti, pods: "10000"}
  capacity: {cpu: "1000", memory: 4Ti, pods: "10000"}
  nodeInfo: {architecture: amd64, operatingSystem: linux, kubeletVersion: fake, kubeProxyVersion: fake}
EOF2
done
for i in $(seq -w 1 "$volumes"); do cat <<EOF2
---
apiVersion: v1
kind: PersistentVolume
metadata:
  name: local-pv-$i
  labels: {highlander.plexobject.io/test-volume: "true"}
spec:
  capacity: {storage: 100Gi}
  accessModes: [ReadWriteOnce, ReadOnlyMany, ReadWriteMany]
  persistentVolumeReclaimPolicy: Retain
  storageClassName: standard
  hostPath: {path: /tmp/highlander-pv/$i}
EOF2
done
