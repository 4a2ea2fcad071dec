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

# shellcheck source=lib/helper-flags.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/helper-flags.sh"

QUANTITY='^([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+|[numkMGTPE]|[KMGTPE]i)?$'
CRON_FIELD='^[0-9A-Za-z*?/,-]+$'

# 1. Read the flags (K8 Highlander's defaults).
parse_flags "name namespace image shell schedule restart-policy cpu-request memory-request cpu-limit memory-limit kubeconfig" "$@"
name=${FLAGS[name]:-}
namespace=${FLAGS[namespace]:-default}
image=${FLAGS[image]:-busybox:latest}
shell=${FLAGS[shell]:-/bin/sh}
schedule=${FLAGS[schedule]:-'*/1 * * * *'}
restart_policy=${FLAGS[restart-policy]:-OnFailure}
cpu_request=${FLAGS[cpu-request]:-50m}
memory_request=${FLAGS[memory-request]:-32Mi}
cpu_limit=${FLAGS[cpu-limit]:-100m}
memory_limit=${FLAGS[memory-limit]:-64Mi}

# 2. Check them, so that a mistake is named here rather than in a server error.
[ -n "$name" ] || usage_error "--name is required"
if ! [[ $name =~ $DNS1123_LABEL ]] || [ ${#name} -gt 52 ]; then
  usage_error "--name '$name' is not a valid cron job name: lowercase letters, digits and '-', starting and ending with a letter or digit, at most 52 characters"
fi
check_namespace "$namespace"
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

find_kubectl "${FLAGS[kubeconfig]:-}"

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
