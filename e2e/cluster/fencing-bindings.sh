#!/usr/bin/env bash
# Prints the bindings of the epoch-fencing admission policies (crds/highlander-fencing.yaml) for
# operators that keep their Leases, and so their fences, in NAMESPACE. The chart renders the same
# for a release (templates/fencing.yaml); this is for the local cluster's tests and demo.
# Usage: fencing-bindings.sh NAMESPACE [NAME-SUFFIX] | kubectl apply -f -
set -euo pipefail
ns=${1:?usage: fencing-bindings.sh NAMESPACE [NAME-SUFFIX]}
suffix=${2:-}
for policy in highlander-epoch-monotonic highlander-epoch-monotonic-crs highlander-epoch-fence highlander-epoch-fence-crs; do
  cat <<YAML
---
apiVersion: admissionregistration.k8s.io/v1
kind: ValidatingAdmissionPolicyBinding
metadata:
  name: $policy$suffix
spec:
  policyName: $policy
  validationActions: [Deny]
YAML
  case $policy in
    highlander-epoch-fence*)
      cat <<YAML
  paramRef:
    namespace: $ns
    selector:
      matchLabels:
        highlander.plexobject.io/fence: "true"
    parameterNotFoundAction: Allow
YAML
      ;;
  esac
done
