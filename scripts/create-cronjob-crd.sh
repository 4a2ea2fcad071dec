#!/usr/bin/env bash
# Creates a WorkloadCronJob custom resource, or updates the one of that name, with kubectl.
# The flags and their defaults are those of K8 Highlander's helper script of the same name,
# so existing runbooks keep working. Run with --help for the list.
# Exit codes: 0 done, 2 a flag is unknown, missing or invalid (nothing was sent), else kubectl's.
set -euo pipefail
prog=$(basename "$0")

usage() {
  cat <<'EOF'
Usage: create-cronjob-crd.sh --name=NAME [flags]

Creates (or updates) a WorkloadCronJob: a cron job that only the Highlander leader runs.

  --name             required: name of the cron job (lowercase letters, digits, '-'; at most 52)
  --namespace        namespace (default: default)
  --image            container image (default: busybox:latest)
  --shell            shell that runs the script (default: /bin/sh)
  --schedule         cron schedule, 5 fields or a macro such as @daily (default: "*/1 * * * *")
  --restart-policy   OnFailure or Never (default: OnFailure)
  --cpu-request      CPU request (default: 50m)
  --memory-request   memory request (default: 32Mi)
  --cpu-limit        CPU limit (default: 100m)
  --memory-limit     memory limit (default: 64Mi)
  --kubeconfig       kubeconfig file for kubectl (default: $KUBECONFIG or ~/.kube/config)
  -h, --help         this help

Flags take their value as --flag=VALUE or --flag VALUE. kubectl comes from $KUBECTL, else PATH.
The job's script echoes its name and the time; edit the resource to change it.
EOF
}

usage_error() {
  echo "$prog: $*" >&2
  echo "Run '$prog --help' for the flags." >&2
  exit 2
}

DNS1123_LABEL='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
QUANTITY='^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$'
CRON_FIELD='^[0-9A-Za-z*?/,-]+$'

name=''
namespace=default
image=busybox:latest
shell=/bin/sh
schedule='*/1 * * * *'
restart_policy=OnFailure
cpu_request=50m
memory_request=32Mi
cpu_limit=100m
memory_limit=64Mi
kubeconfig=''

# 1. Read the flags.
while [ $# -gt 0 ]; do
  arg=$1
  shift
  case $arg in
    -h | --help) usage; exit 0 ;;
    --*=*) flag=${arg%%=*} value=${arg#*=} ;;
    --*)
      flag=$arg value=''
      if [ $# -gt 0 ] && [[ $1 != --* ]]; then value=$1; shift; fi
      ;;
    *) usage_error "unexpected argument '$arg' (flags look like --name=VALUE)" ;;
  esac
  case $flag in
    --name | --namespace | --image | --shell | --schedule | --restart-policy | --cpu-request | \
      --memory-request | --cpu-limit | --memory-limit | --kubeconfig) ;;
    *) usage_error "unknown flag $flag" ;;
  esac
  [ -n "$value" ] || usage_error "$flag needs a value"
  case $flag in
    --name) name=$value ;;
    --namespace) namespace=$value ;;
    --image) image=$value ;;
    --shell) shell=$value ;;
    --schedule) schedule=$value ;;
    --restart-policy) restart_policy=$value ;;
    --cpu-request) cpu_request=$value ;;
    --memory-request) memory_request=$value ;;
    --cpu-limit) cpu_limit=$value ;;
    --memory-limit) memory_limit=$value ;;
    --kubeconfig) kubeconfig=$value ;;
  esac
done

# 2. Check them, so that a mistake is named here rather than in a server error.
[ -n "$name" ] || usage_error "--name is required"
if ! [[ $name =~ $DNS1123_LABEL ]] || [ ${#name} -gt 52 ]; then
  usage_error "--name '$name' is not a valid cron job name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 52 characters"
fi
if ! [[ $namespace =~ $DNS1123_LABEL ]] || [ ${#namespace} -gt 63 ]; then
  usage_error "--namespace '$namespace' is not a valid namespace name: lowercase letters, digits and '-', at most 63 characters"
fi
[[ $image =~ ^[A-Za-z0-9][A-Za-z0-9._/:@-]*$ ]] || usage_error "--image '$image' is not a container image reference such as busybox:1.36"
[[ $shell =~ ^[A-Za-z0-9._/+-]+$ ]] || usage_error "--shell '$shell' is not a path such as /bin/sh"
case $restart_policy in
  OnFailure | Never) ;;
  *) usage_error "--restart-policy must be OnFailure or Never, not '$restart_policy'" ;;
esac
for pair in "--cpu-request=$cpu_request" "--memory-request=$memory_request" "--cpu-limit=$cpu_limit" "--memory-limit=$memory_limit"; do
  [[ ${pair#*=} =~ $QUANTITY ]] || usage_error "${pair%%=*} '${pair#*=}' is not a Kubernetes quantity such as 100m, 0.5, 64Mi or 1Gi"
done
case $schedule in
  @yearly | @annually | @monthly | @weekly | @daily | @midnight | @hourly) ;;
  @*) usage_error "--schedule '$schedule' is not a known macro (@yearly @annually @monthly @weekly @daily @midnight @hourly)" ;;
  *)
    read -r -a fields <<<"$schedule"
    if [ ${#fields[@]} -ne 5 ]; then
      usage_error "--schedule '$schedule' has ${#fields[@]} fields; it needs 5 (minute hour day-of-month month day-of-week) or a macro such as @daily"
    fi
    for f in "${fields[@]}"; do
      [[ $f =~ $CRON_FIELD ]] || usage_error "--schedule field '$f' may only hold digits, names, * ? / , and -"
    done
    schedule=${fields[*]}
    ;;
esac

kubectl=${KUBECTL:-kubectl}
command -v "$kubectl" >/dev/null || { echo "$prog: kubectl not found ('$kubectl'): set KUBECTL or put kubectl on PATH" >&2; exit 1; }
kubectl_args=()
[ -z "$kubeconfig" ] || kubectl_args+=(--kubeconfig "$kubeconfig")

# 3. Apply. Every value was checked above to hold no quote or backslash, so it can stand in JSON
# as it is. Server-side apply creates the resource or updates the fields set here.
manifest=$(cat <<EOF
{
  "apiVersion": "highlander.plexobject.io/v1",
  "kind": "WorkloadCronJob",
  "metadata": {
    "name": "$name",
    "namespace": "$namespace",
    "labels": { "app.kubernetes.io/created-by": "create-cronjob-crd" }
  },
  "spec": {
    "image": "$image",
    "schedule": "$schedule",
    "restartPolicy": "$restart_policy",
    "script": {
      "shell": "$shell",
      "commands": ["echo \"cron job $name ran at \$(date)\""]
    },
    "resources": {
      "cpuRequest": "$cpu_request",
      "memoryRequest": "$memory_request",
      "cpuLimit": "$cpu_limit",
      "memoryLimit": "$memory_limit"
    }
  }
}
EOF
)
printf '%s\n' "$manifest" | "$kubectl" "${kubectl_args[@]}" apply --server-side --force-conflicts --field-manager=create-cronjob-crd -f -
