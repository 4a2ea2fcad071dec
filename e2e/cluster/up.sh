#!/usr/bin/env bash
# Starts the local Kubernetes control plane as processes on 127.0.0.1:
# etcd, kube-apiserver (RBAC on), kube-controller-manager, kube-scheduler, and kwok playing
# the kubelets of a few fake nodes. Writes the admin kubeconfig to .cluster/kubeconfig.
# Idempotent: a healthy running cluster is left as it is; a broken one is replaced.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/common.sh"

run=$STATE_DIR/cluster
pids=$run/pids
logs=$run/logs
start=$(date +%s)
NODES=3

# 1. Healthy already? Every process alive and the API server ready.
if [ -f "$run/cluster.env" ]; then
  # shellcheck disable=SC1091
  source "$run/cluster.env"
  healthy=1
  for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok volume-recycler; do
    alive "$pids/$p.pid" || healthy=0
  done
  if [ $healthy = 1 ] && "$KUBECTL" --kubeconfig "$STATE_DIR/kubeconfig" get --raw /readyz >/dev/null 2>&1; then
    log "cluster already up: $STATE_DIR/kubeconfig"
    exit 0
  fi
  log "cluster state found but not healthy: starting afresh"
  bash "$here/down.sh"
fi

# 2. Binaries, built once per version into the cache.
eval "$(bash "$here/build.sh")"
KUBECTL=$K8S_BIN_DIR/kubectl
mkdir -p "$pids" "$logs" "$STATE_DIR/bin"
ln -sf "$KUBECTL" "$STATE_DIR/bin/kubectl"

# 3. Keys and certificates.
bash "$here/pki.sh" "$run/pki"
pki=$run/pki

ETCD_PORT=$(free_port); ETCD_PEER_PORT=$(free_port); API_PORT=$(free_port)
cat > "$run/cluster.env" <<ENV
ETCD_PORT=$ETCD_PORT
API_PORT=$API_PORT
KUBECTL=$KUBECTL
K8S_BIN_DIR=$K8S_BIN_DIR
ENV

# kubeconfig FILE USER: a kubeconfig with embedded credentials for one client certificate.
kubeconfig() {
  cat > "$1" <<KC
apiVersion: v1
kind: Config
clusters:
- name: highlander-local
  cluster:
    server: https://127.0.0.1:$API_PORT
    certificate-authority-data: $(base64 -w0 < "$pki/ca.crt")
users:
- name: $2
  user:
    client-certificate-data: $(base64 -w0 < "$pki/$2.crt")
    client-key-data: $(base64 -w0 < "$pki/$2.key")
contexts:
- name: highlander-local
  context: {cluster: highlander-local, user: $2}
current-context: highlander-local
KC
  chmod 600 "$1"
}
for u in controller-manager scheduler kwok; do kubeconfig "$run/$u.kubeconfig" $u; done

# launch NAME CMD...: starts a process in the background with its log and pidfile.
launch() {
  local name=$1; shift
  setsid "$@" >"$logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$pids/$name.pid"
}

# 4. etcd (fsync off: the data is thrown away anyway).
launch etcd "$ETCD_BIN" --name=default --data-dir="$run/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" --initial-advertise-peer-urls="http://127.0.0.1:$ETCD_PEER_PORT" \
  --initial-cluster="default=http://127.0.0.1:$ETCD_PEER_PORT" --unsafe-no-fsync --log-level=warn
wait_until 30 etcd curl -fsS "http://127.0.0.1:$ETCD_PORT/health" || { tail -20 "$logs/etcd.log" >&2; exit 1; }

# 5. kube-apiserver.
launch kube-apiserver "$K8S_BIN_DIR/kube-apiserver" \
  --bind-address=127.0.0.1 --advertise-address=127.0.0.1 --secure-port="$API_PORT" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --tls-cert-file="$pki/apiserver.crt" --tls-private-key-file="$pki/apiserver.key" \
  --client-ca-file="$pki/ca.crt" \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$pki/sa.pub" --service-account-signing-key-file="$pki/sa.key" \
  --authorization-mode=Node,RBAC --allow-privileged=true \
  --service-cluster-ip-range=10.96.0.0/16 --endpoint-reconciler-type=none \
  --profiling=false --cert-dir="$run/apiserver-certs" \
  --audit-policy-file="$here/audit-policy.yaml" --audit-log-path="$logs/audit.log" --audit-log-format=json
kubeconfig "$STATE_DIR/kubeconfig" admin
k() { "$KUBECTL" --kubeconfig "$STATE_DIR/kubeconfig" "$@"; }
wait_until 90 kube-apiserver k get --raw /readyz || { tail -30 "$logs/kube-apiserver.log" >&2; exit 1; }

# 5b. Highlander's CRDs, before the controller manager starts: its garbage collector then
#     watches them from the start (CRDs created later are only picked up on a resync).
k apply --server-side -f "$REPO_ROOT/crds/" >/dev/null
k wait --for=condition=Established crd --all --timeout=60s >/dev/null

# 6. Controller manager, scheduler and kwok, together. Their client rate limits are raised
#    so that benchmarks with thousands of workloads measure Highlander, not kube's defaults
#    (20 QPS for the controller manager).
launch kube-controller-manager "$K8S_BIN_DIR/kube-controller-manager" \
  --kubeconfig="$run/controller-manager.kubeconfig" --secure-port=0 --leader-elect=false \
  --use-service-account-credentials=true --service-account-private-key-file="$pki/sa.key" \
  --root-ca-file="$pki/ca.crt" --cluster-name=highlander-local \
  --controllers='*' \
  --kube-api-qps=300 --kube-api-burst=600 --concurrent-deployment-syncs=20 \
  --concurrent-replicaset-syncs=20 --concurrent-statefulset-syncs=20
launch kube-scheduler "$K8S_BIN_DIR/kube-scheduler" \
  --kubeconfig="$run/scheduler.kubeconfig" --secure-port=0 --leader-elect=false \
  --kube-api-qps=300 --kube-api-burst=600
launch kwok "$KWOK_BIN" --kubeconfig="$run/kwok.kubeconfig" \
  --manage-all-nodes=false --manage-nodes-with-annotation-selector=kwok.x-k8s.io/node=fake \
  --cidr=10.244.0.1/16 --node-ip=10.0.0.1 --server-address=127.0.0.1:0 --node-lease-duration-seconds=40 --config="$here/kwok.yaml"

# 7. Fake nodes, a default StorageClass and pre-created volumes for StatefulSet claims.
k apply -f "$here/manifests/" >/dev/null
bash "$here/fixtures.sh" "$NODES" 40 | k apply -f - >/dev/null
wait_until 60 "nodes Ready" k wait --for=condition=Ready node --all --timeout=1s \
  || { tail -20 "$logs/kwok.log" >&2; exit 1; }
wait_until 60 "default ServiceAccount" k -n default get serviceaccount default \
  || { tail -20 "$logs/kube-controller-manager.log" >&2; exit 1; }
# Released test volumes become Available again (there is no provisioner to make new ones).
launch volume-recycler bash "$here/recycle-volumes.sh" "$KUBECTL" "$STATE_DIR/kubeconfig"

for p in etcd kube-apiserver kube-controller-manager kube-scheduler kwok volume-recycler; do
  alive "$pids/$p.pid" || { tail -20 "$logs/$p.log" >&2; die "$p exited"; }
done
log "cluster up in $(( $(date +%s) - start )) s: kubectl --kubeconfig $STATE_DIR/kubeconfig get nodes"
