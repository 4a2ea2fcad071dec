#!/usr/bin/env bash
# Deletes a Highlander workload custom resource with kubectl; its children (pod, CronJob,
# Deployment, StatefulSet, Services) go with it. The flags are those of K8 Highlander's helper
# script of the same name. Run with --help for the list.
# Exit codes: 0 deleted, 2 a flag is unknown, missing or invalid (nothing was sent), else
# kubectl's (1 when the resource does not exist).
set -euo pipefail
prog=$(basename "$0")

usage() {
  cat <<'EOF'
Usage: delete-workload-crd.sh --name=NAME --kind=KIND [flags]

Deletes a Highlander workload and, through it, what runs for it.

  --name        required: name of the workload
  --kind        required: WorkloadProcess, WorkloadCronJob, WorkloadService or WorkloadPersistent,
                or as K8 Highlander's config spells them: process, cronjob, service, persistent
  --namespace   namespace (default: default)
  --kubeconfig  kubeconfig file for kubectl (default: $KUBECONFIG or ~/.kube/config)
  -h, --help    this help

Flags take their value as --flag=VALUE or --flag VALUE. kubectl comes from $KUBECTL, else PATH.
EOF
}

usage_error() {
  echo "$prog: $*" >&2
  echo "Run '$prog --help' for the flags." >&2
  exit 2
}

DNS1123_LABEL='^[a-z0-9]([-a-z0-9]*[a-z0-9])?$'
DNS1123_SUBDOMAIN='^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'

name=''
kind=''
namespace=default
kubeconfig=''

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
    --name | --kind | --namespace | --kubeconfig) ;;
    *) usage_error "unknown flag $flag" ;;
  esac
  [ -n "$value" ] || usage_error "$flag needs a value"
  case $flag in
    --name) name=$value ;;
    --kind) kind=$value ;;
    --namespace) namespace=$value ;;
    --kubeconfig) kubeconfig=$value ;;
  esac
done

[ -n "$name" ] || usage_error "--name is required"
[ -n "$kind" ] || usage_error "--kind is required (WorkloadProcess, WorkloadCronJob, WorkloadService or WorkloadPersistent)"
if ! [[ $name =~ $DNS1123_SUBDOMAIN ]] || [ ${#name} -gt 253 ]; then
  usage_error "--name '$name' is not a valid resource name: lowercase letters, digits, '-' and '.', at most 253 characters"
fi
if ! [[ $namespace =~ $DNS1123_LABEL ]] || [ ${#namespace} -gt 63 ]; then
  usage_error "--namespace '$namespace' is not a valid namespace name: lowercase letters, digits and '-', at most 63 characters"
fi
case $kind in
  WorkloadProcess | process) resource=workloadprocesses ;;
  WorkloadCronJob | cronjob) resource=workloadcronjobs ;;
  WorkloadService | service) resource=workloadservices ;;
  WorkloadPersistent | persistent) resource=workloadpersistents ;;
  *) usage_error "--kind '$kind' is not one of WorkloadProcess, WorkloadCronJob, WorkloadService, WorkloadPersistent (or process, cronjob, service, persistent)" ;;
esac

kubectl=${KUBECTL:-kubectl}
command -v "$kubectl" >/dev/null || { echo "$prog: kubectl not found ('$kubectl'): set KUBECTL or put kubectl on PATH" >&2; exit 1; }
kubectl_args=()
[ -z "$kubeconfig" ] || kubectl_args+=(--kubeconfig "$kubeconfig")

"$kubectl" "${kubectl_args[@]}" delete "$resource.highlander.plexobject.io" "$name" --namespace "$namespace"
