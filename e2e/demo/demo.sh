#!/usr/bin/env bash
# `make demo`: Highlander on the local control plane in one command. Installs what is missing,
# starts the control plane and the CRDs, two operator replicas (demo-a, demo-b) on the default
# lock (a Kubernetes Lease), one workload of each kind (samples.yaml), prints where to look and
# how to make it fail over, and waits. Ctrl-C stops the operators, removes the demo namespace,
# and stops the control plane if this script started it.
#
# Usage: demo.sh [up | down | restart demo-a|demo-b]
#   up (default)  set it all up, then wait for Ctrl-C (DEMO_NO_WAIT=1: print and exit, leave it running)
#   down          tear down a demo left running by DEMO_NO_WAIT=1 (`make demo-down`)
#   restart NAME  start a replica you killed again, on its old port; it joins as a follower
#
# Settings (environment):
#   DEMO_TENANT     tenant of the operators and the samples (default `default`: samples unlabelled)
#   DEMO_NAMESPACE  namespace of the samples and of the Lease, removed at teardown (highlander-demo)
#   DEMO_STATE_DIR  pidfiles, logs and demo.env (default .cluster/demo)
#   DEMO_PORTS      HTTP ports of demo-a and demo-b (default "8080 8081"); a busy one falls back
#                   to a free port; 0 means any free port
#   DEMO_LEASE      lease duration, renew deadline, retry period (default "6s 4s 1s")
#   DEMO_NO_WAIT=1  set up, print, exit 0 and leave everything running
#   DEMO_HANDOVER_TOKEN  token for POST /api/leader/handover (default: a random one, printed)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
source "$here/../lib/common.sh"
cd "$REPO_ROOT"

DEMO_DIR=${DEMO_STATE_DIR:-$STATE_DIR/demo}
mkdir -p "$DEMO_DIR"
DEMO_DIR=$(cd "$DEMO_DIR" && pwd)
STATE_FILE=$DEMO_DIR/demo.env
REPLICAS=(demo-a demo-b)
KUBECTL=$STATE_DIR/bin/kubectl
KUBECONFIG_PATH=$STATE_DIR/kubeconfig

k() { "$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" --cache-dir "$STATE_DIR/kube-cache" "$@"; }
step() { log "[$1/6] $2"; }

# running PIDFILE: the process is alive and not a zombie waiting to be reaped.
running() {
  local pid
  [ -f "$1" ] || return 1
  pid=$(cat "$1")
  [ -r "/proc/$pid/stat" ] || return 1
  [ "$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)" != Z ]
}

# save KEY VALUE: records a fact in demo.env, for `down`, `restart` and tests.
save() {
  touch "$STATE_FILE"
  sed -i "/^$1=/d" "$STATE_FILE"
  printf '%s=%q\n' "$1" "$2" >> "$STATE_FILE"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# bound_port NAME: the HTTP port NAME logged in its 'campaigning for leadership' line.
bound_port() {
  grep -m1 '"msg":"campaigning for leadership"' "$DEMO_DIR/$1.log" 2>/dev/null | grep -o '"port":[0-9]*' | cut -d: -f2
}

# status_of PORT: the replica's /api/v1/status JSON (ours: it has the epoch).
status_of() { curl -fsS --max-time 2 "http://127.0.0.1:$1/api/v1/status"; }

# field JSON KEY: a top-level string, number or boolean of a flat JSON field (no jq needed).
field() { grep -o "\"$2\":\(\"[^\"]*\"\|[^,}]*\)" <<<"$1" | head -1 | cut -d: -f2- | tr -d '"'; }

# start_replica NAME PORT: launches `highlander run` in its own session (Ctrl-C in the terminal
# reaches this script, which stops the replicas in order) and waits until it listens.
start_replica() {
  local name=$1 want=$2 port
  if [ "$want" != 0 ] && port_busy "$want"; then
    log "port $want is taken: $name listens on a free port instead"
    want=0
  fi
  read -r lease renew retry <<<"$DEMO_LEASE"
  # HIGHLANDER_DEV=1: the demo runs the sources as they are, not a dist/ built from older ones.
  env -i PATH="$PATH" HOME="${HOME:-/tmp}" HIGHLANDER_DEV=1 \
    HIGHLANDER_ID="$name" HIGHLANDER_TENANT="$DEMO_TENANT" HIGHLANDER_STORAGE_TYPE=kubernetes \
    HIGHLANDER_KUBECONFIG="$KUBECONFIG_PATH" HIGHLANDER_CLUSTER_NAME=highlander-local \
    HIGHLANDER_NAMESPACE="$DEMO_NAMESPACE" HIGHLANDER_LEASE_NAMESPACE="$DEMO_NAMESPACE" \
    HIGHLANDER_HTTP_HOST=127.0.0.1 HIGHLANDER_PORT="$want" HIGHLANDER_LOG_LEVEL="${DEMO_LOG_LEVEL:-info}" \
    HIGHLANDER_LEASE_DURATION="$lease" HIGHLANDER_RENEW_DEADLINE="$renew" HIGHLANDER_RETRY_PERIOD="$retry" \
    HIGHLANDER_HANDOVER_TOKEN="$DEMO_HANDOVER_TOKEN" \
    setsid "$(command -v node)" "$REPO_ROOT/bin/highlander.js" run >"$DEMO_DIR/$name.log" 2>&1 </dev/null &
  echo $! >"$DEMO_DIR/$name.pid"
  disown $! # no "Killed" job report when you kill it to see a failover
  local deadline=$(( $(date +%s) + 90 ))
  until port=$(bound_port "$name") && [ -n "$port" ]; do
    if ! running "$DEMO_DIR/$name.pid"; then
      tail -20 "$DEMO_DIR/$name.log" >&2
      die "$name exited during start-up (log: $DEMO_DIR/$name.log)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || die "$name did not start listening in 90 s (log: $DEMO_DIR/$name.log)"
    sleep 0.2
  done
  local key=${name#demo-}
  save "PORT_${key^^}" "$port"
  save "PID_${key^^}" "$(cat "$DEMO_DIR/$name.pid")"
  log "$name: pid $(cat "$DEMO_DIR/$name.pid"), http://127.0.0.1:$port/"
}

# leader: prints "NAME PORT PID EPOCH" of the replica that says it leads; fails if none does.
leader() {
  local name port s
  for name in "${REPLICAS[@]}"; do
    running "$DEMO_DIR/$name.pid" || continue
    port=$(bound_port "$name") || continue
    s=$(status_of "$port" 2>/dev/null) || continue
    if [ "$(field "$s" isLeader)" = true ]; then
      echo "$name $port $(cat "$DEMO_DIR/$name.pid") $(field "$s" epoch)"
      return 0
    fi
  done
  return 1
}

# build_binaries: the control plane's binaries; a cold build takes many minutes, so show progress.
build_binaries() {
  local pid t=0
  bash e2e/cluster/build.sh >/dev/null 2>"$DEMO_DIR/build.log" &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    t=$((t + 1))
    if [ $((t % 30)) = 0 ]; then
      log "  still building the control plane from Go modules (${t} s; once per version, a cold build takes 5-20 minutes): $(grep '^build:' "$DEMO_DIR/build.log" | tail -1)"
    fi
  done
  if ! wait "$pid"; then
    tail -30 "$DEMO_DIR/build.log" >&2
    die "building the control plane failed (log: $DEMO_DIR/build.log)"
  fi
  [ $t -lt 2 ] || log "  control plane built in ${t} s"
}

# teardown: stops the replicas (follower first), removes the namespace, and stops the control
# plane if this demo started it. Idempotent; reads demo.env, so `down` works from another shell.
teardown() {
  [ -z "${TORN_DOWN:-}" ] || return 0
  TORN_DOWN=1
  trap '' INT TERM
  [ -f "$STATE_FILE" ] || { log "no demo state in $DEMO_DIR: nothing to stop"; return 0; }
  # shellcheck disable=SC1090
  source "$STATE_FILE"
  log "stopping the demo"
  local first=demo-b second=demo-a name l
  if l=$(leader 2>/dev/null) && [ "${l%% *}" = demo-b ]; then first=demo-a second=demo-b; fi
  for name in $first $second; do
    if running "$DEMO_DIR/$name.pid"; then
      kill -CONT "$(cat "$DEMO_DIR/$name.pid")" 2>/dev/null || true # a stopped process cannot handle SIGTERM
      stop_pidfile "$DEMO_DIR/$name.pid" "$name"
      log "  $name stopped"
    fi
    rm -f "$DEMO_DIR/$name.pid"
  done
  if [ -n "${NAMESPACE:-}" ] && [ -f "$KUBECONFIG_PATH" ]; then
    log "  deleting namespace $NAMESPACE (its workloads go with it)"
    k delete namespace "$NAMESPACE" --ignore-not-found --timeout=120s >/dev/null \
      || log "  namespace $NAMESPACE is still terminating"
    k delete persistentvolume -l "highlander.plexobject.io/demo-namespace=$NAMESPACE" --wait=false >/dev/null || true
    for policy in highlander-epoch-monotonic highlander-epoch-monotonic-crs highlander-epoch-fence highlander-epoch-fence-crs; do
      k delete validatingadmissionpolicybinding "$policy-$NAMESPACE" --ignore-not-found >/dev/null || true
    done
  fi
  if [ "${STARTED_CLUSTER:-0}" = 1 ]; then
    log "  stopping the control plane this demo started"
    bash e2e/cluster/down.sh
  fi
  rm -f "$STATE_FILE"
  log "demo stopped (logs kept in $DEMO_DIR)"
}

# print_guide: what to open, what to type, how to fail over.
print_guide() {
  local l name port pid epoch fname fport fpid lease renew retry
  l=$(leader) || die "no replica leads"
  read -r name port pid epoch <<<"$l"
  read -r lease renew retry <<<"$DEMO_LEASE"
  for fname in "${REPLICAS[@]}"; do [ "$fname" != "$name" ] && break; done
  fport=$(bound_port "$fname"); fpid=$(cat "$DEMO_DIR/$fname.pid")
  local kc="$KUBECONFIG_PATH" kb="$KUBECTL" ns=$DEMO_NAMESPACE lease_name="highlander-leader-$DEMO_TENANT"
  echo
  echo "Highlander demo: 2 replicas, tenant $DEMO_TENANT, lock Lease $ns/$lease_name (lease $lease, renew $renew, retry $retry)"
  echo
  printf '  %-9s %s  pid %-7s %-9s http://127.0.0.1:%s/\n' leader "$name" "$pid" "epoch $epoch" "$port" follower "$fname" "$fpid" "" "$fport"
  cat <<GUIDE

Dashboard   http://127.0.0.1:$port/   http://127.0.0.1:$fport/
API         http://127.0.0.1:$port/api/status
            http://127.0.0.1:$port/api/workloads
            http://127.0.0.1:$port/api/events        (live: curl -N)
            http://127.0.0.1:$port/metrics
Logs        $DEMO_DIR/$name.log  $DEMO_DIR/$fname.log  (JSON lines)

kubectl (paste the first line):
  export KUBECONFIG=$kc; alias kubectl=$kb
  kubectl get highlander -A
  kubectl get wlc -n $ns -o yaml
  kubectl describe wlp id-generator -n $ns
  kubectl get events -n $ns --sort-by=.lastTimestamp
  kubectl get lease $lease_name -n $ns -o yaml
  kubectl get pods,deploy,sts,cronjob,svc,pvc -n $ns

Fail over (then watch the dashboard, /api/status or \`kubectl get highlander -A\`):
  kill -9 $pid       # crash the leader: $fname takes over once the lease runs out (~$lease)
  kill -TERM $pid    # graceful: $name stops its work and releases the lease; $fname takes over at once
  kill -STOP $pid    # freeze it: $fname takes over after ~$lease; \`kill -CONT $pid\` and $name steps down
  curl -X POST -H 'Authorization: Bearer $DEMO_HANDOVER_TOKEN' http://127.0.0.1:$port/api/leader/handover
                     # planned handover: $name stops its work, releases, and $fname takes over at once
  bash e2e/demo/demo.sh restart $name   # start a killed replica again (it joins as the follower)

GUIDE
}

# watch_leader: until Ctrl-C, reports leader changes and replicas that exit.
watch_leader() {
  local last="" now name
  declare -A gone=()
  for (( ; ; )); do
    for name in "${REPLICAS[@]}"; do
      if running "$DEMO_DIR/$name.pid"; then
        [ -z "${gone[$name]:-}" ] || log "$name is back (pid $(cat "$DEMO_DIR/$name.pid"))"
        gone[$name]=""
      elif [ -z "${gone[$name]:-}" ]; then
        gone[$name]=1
        log "$name is not running (bash e2e/demo/demo.sh restart $name)"
      fi
    done
    if now=$(leader); then
      read -r name _ pid epoch <<<"$now"
      if [ "$name $epoch" != "$last" ]; then
        [ -z "$last" ] || log "leader is now $name (pid $pid, epoch $epoch): kill -9 $pid to fail over again"
        last="$name $epoch"
      fi
    fi
    sleep 1
  done
}

cmd=${1:-up}
case $cmd in
  down)
    teardown
    exit 0
    ;;
  restart)
    name=${2:-}
    [[ " ${REPLICAS[*]} " == *" $name "* ]] || die "usage: demo.sh restart demo-a|demo-b"
    [ -f "$STATE_FILE" ] || die "no demo is running (state: $DEMO_DIR)"
    # shellcheck disable=SC1090
    source "$STATE_FILE"
    running "$DEMO_DIR/$name.pid" && die "$name is running (pid $(cat "$DEMO_DIR/$name.pid"))"
    DEMO_TENANT=$TENANT DEMO_NAMESPACE=$NAMESPACE DEMO_LEASE=$LEASE DEMO_HANDOVER_TOKEN=${HANDOVER_TOKEN:-}
    port_var=PORT_${name#demo-}; port_var=${port_var^^}
    start_replica "$name" "${!port_var:-0}"
    exit 0
    ;;
  up) ;;
  *) die "usage: demo.sh [up | down | restart demo-a|demo-b]" ;;
esac

DEMO_TENANT=${DEMO_TENANT:-default}
DEMO_NAMESPACE=${DEMO_NAMESPACE:-highlander-demo}
DEMO_LEASE=${DEMO_LEASE:-6s 4s 1s}
read -r WANT_A WANT_B <<<"${DEMO_PORTS:-8080 8081}"
[[ $DEMO_NAMESPACE =~ ^[a-z0-9]([-a-z0-9]*[a-z0-9])?$ ]] || die "DEMO_NAMESPACE: '$DEMO_NAMESPACE' is not a namespace name"
case $DEMO_NAMESPACE in default | kube-*) die "DEMO_NAMESPACE: the demo deletes its namespace at the end; pick another than $DEMO_NAMESPACE" ;; esac
for name in "${REPLICAS[@]}"; do
  running "$DEMO_DIR/$name.pid" && die "a demo already runs from $DEMO_DIR ($name, pid $(cat "$DEMO_DIR/$name.pid")): make demo-down, or Ctrl-C where it runs"
done

# From here on, a failure or Ctrl-C undoes what was started; demo.env records what that is.
rm -f "$STATE_FILE" "$DEMO_DIR"/demo-?.log
save TENANT "$DEMO_TENANT"
save LEASE "$DEMO_LEASE"
# The replicas accept a planned handover (POST /api/leader/handover) with this token.
DEMO_HANDOVER_TOKEN=${DEMO_HANDOVER_TOKEN:-demo-$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')}
save HANDOVER_TOKEN "$DEMO_HANDOVER_TOKEN"
PHASE=setup
on_exit() {
  local rc=$?
  if [ "$PHASE" = setup ]; then
    log "the demo did not come up: cleaning up"
    for name in "${REPLICAS[@]}"; do
      [ -s "$DEMO_DIR/$name.log" ] && { echo "--- last lines of $DEMO_DIR/$name.log" >&2; tail -8 "$DEMO_DIR/$name.log" | cut -c1-400 >&2; }
    done
    teardown
  fi
  exit "$rc"
}
trap on_exit EXIT
trap 'log "interrupted"; exit 130' INT TERM
start=$(date +%s)

step 1 "npm dependencies"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund >&2
fi

step 2 "local control plane (built from Go modules the first time)"
if [ -f "$STATE_DIR/cluster/cluster.env" ]; then
  save STARTED_CLUSTER 0
else
  save STARTED_CLUSTER 1
fi
build_binaries
bash e2e/cluster/up.sh

step 3 "CRDs"
k apply --server-side -f crds/ >/dev/null
# The epoch fence, for the demo's operators, whose Leases live in the demo namespace.
bash e2e/cluster/fencing-bindings.sh "$DEMO_NAMESPACE" "-$DEMO_NAMESPACE" | k apply --server-side -f - >/dev/null
k wait --for=condition=Established crd --all --timeout=60s >/dev/null
# The kubectl lines printed below use kubectl's default discovery cache, which may predate the
# CRDs (up.sh's own kubectl calls fill it): refresh it, or `get highlander` is an unknown type.
"$KUBECTL" --kubeconfig "$KUBECONFIG_PATH" api-resources >/dev/null
save NAMESPACE "$DEMO_NAMESPACE"
k create namespace "$DEMO_NAMESPACE" --dry-run=client -o yaml \
  | k label --local -f - app.kubernetes.io/part-of=highlander-demo -o yaml \
  | k apply -f - >/dev/null
wait_until 60 "ServiceAccount $DEMO_NAMESPACE/default" k -n "$DEMO_NAMESPACE" get serviceaccount default

step 4 "two operator replicas (lease ${DEMO_LEASE// //}, tenant $DEMO_TENANT)"
start_replica demo-a "${WANT_A:-0}"
start_replica demo-b "${WANT_B:-0}"
wait_until 90 "a leader" leader || die "no replica became leader (logs: $DEMO_DIR/demo-*.log)"
read -r lname _ lpid lepoch <<<"$(leader)"
log "$lname leads (pid $lpid, epoch $lepoch)"

step 5 "one workload of each kind in namespace $DEMO_NAMESPACE"
# Volumes of its own for the StatefulSet's claims (no provisioner runs on the local cluster).
node --import tsx e2e/demo/samples.ts volumes "$DEMO_NAMESPACE" | k apply -f - >/dev/null
node --import tsx e2e/demo/samples.ts samples "$DEMO_NAMESPACE" "$DEMO_TENANT" >"$DEMO_DIR/samples.yaml"
k apply -f "$DEMO_DIR/samples.yaml" | sed 's/^/  /' >&2

step 6 "waiting until the four are Ready"
k wait --for=condition=Ready --timeout=180s -f "$DEMO_DIR/samples.yaml" | sed 's/^/  /' >&2
log "demo up in $(( $(date +%s) - start )) s"

PHASE=ready
print_guide
if [ "${DEMO_NO_WAIT:-}" = 1 ]; then
  echo "Left running. Stop it with: make demo-down$([ -z "${DEMO_STATE_DIR:-}" ] || echo " (DEMO_STATE_DIR=$DEMO_STATE_DIR)")"
  exit 0
fi
echo "Press Ctrl-C to stop the demo and remove what it started."
trap 'echo >&2; teardown; exit 0' INT TERM
watch_leader
