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

# shellcheck source=lib/helper-flags.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/helper-flags.sh"

DNS1123_SUBDOMAIN='^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$'

parse_flags "name kind namespace kubeconfig" "$@"
name=${FLAGS[name]:-}
kind=${FLAGS[kind]:-}
namespace=${FLAGS[namespace]:-default}

[ -n "$name" ] || usage_error "--name is required"
[ -n "$kind" ] || usage_error "--kind is required (WorkloadProcess, WorkloadCronJob, WorkloadService or WorkloadPersistent)"
if ! [[ $name =~ $DNS1123_SUBDOMAIN ]] || [ ${#name} -gt 253 ]; then
  usage_error "--name '$name' is not a valid resource name: lowercase letters, digits, '-' and '.', at most 253 characters"
fi
check_namespace "$namespace"
case $kind in
  WorkloadProcess | process) resource=workloadprocesses ;;
  WorkloadCronJob | cronjob) resource=workloadcronjobs ;;
  WorkloadService | service) resource=workloadservices ;;
  WorkloadPersistent | persistent) resource=workloadpersistents ;;
  *) usage_error "--kind '$kind' is not one of WorkloadProcess, WorkloadCronJob, WorkloadService, WorkloadPersistent (or process, cronjob, service, persistent)" ;;
esac

find_kubectl "${FLAGS[kubeconfig]:-}"

"$kubectl" "${kubectl_args[@]}" delete "$resource.highlander.plexobject.io" "$name" --namespace "$namespace"
