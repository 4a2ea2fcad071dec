#!/usr/bin/env bash
# Brings the chart's copies up to date and renders the plain manifests from the chart:
#   crds/*.yaml                          -> charts/highlander/crds/ (Helm installs CRDs from there)
#   config/config.schema.json $defs    -> charts/highlander/values.schema.json $defs
#                                           (config.workloads is checked as the operator checks it)
#   helm template (default values)       -> deploy/highlander.yaml, with its Namespace and the CRDs
#   the PrometheusRule's spec (defaults)  -> deploy/prometheus-rules.yaml, a plain Prometheus rule file
# Usage: scripts/render-deploy.sh           write the files
#        scripts/render-deploy.sh --check   change nothing; exit 1 naming each file out of date
# CHART_DIR and DEPLOY_DIR override where the chart and the manifests are (for the tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
chart=${CHART_DIR:-$root/charts/highlander}
deploy=${DEPLOY_DIR:-$root/deploy}
release=highlander
namespace=highlander-system
check=0
case "${1:-}" in
  --check) check=1 ;;
  "") ;;
  *) echo "usage: render-deploy.sh [--check]" >&2; exit 2 ;;
esac

eval "$(bash "$root/e2e/cluster/build.sh" helm)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# 1. What each file should hold, written into $work.
mkdir -p "$work/crds"
cp "$root"/crds/*.yaml "$work/crds/"
node -e '
  const fs = require("node:fs");
  const [opPath, chartPath, out] = process.argv.slice(1);
  const op = JSON.parse(fs.readFileSync(opPath, "utf8"));
  const values = JSON.parse(fs.readFileSync(chartPath, "utf8"));
  values.$defs = { ...op.$defs, workloads: op.properties.workloads };
  fs.writeFileSync(out, JSON.stringify(values, null, 2) + "\n");
' "$root/config/config.schema.json" "$chart/values.schema.json" "$work/values.schema.json"
# Render from a copy that already has the new CRDs and schema.
cp -r "$chart" "$work/chart"
rm -f "$work/chart/crds/"*.yaml
cp "$work/crds/"*.yaml "$work/chart/crds/"
cp "$work/values.schema.json" "$work/chart/values.schema.json"
{
  cat <<HEADER
# Highlander, rendered from charts/highlander with its default values by
# scripts/render-deploy.sh (make deploy-manifests): do not edit by hand.
# Install: kubectl apply --server-side -f deploy/highlander.yaml
# Release "$release" in namespace "$namespace"; Lease lock store; ClusterRole RBAC.
---
apiVersion: v1
kind: Namespace
metadata:
  name: $namespace
  labels:
    # The operator's pods meet the restricted Pod Security Standard.
    pod-security.kubernetes.io/enforce: restricted
HEADER
  "$HELM_BIN" template "$release" "$work/chart" --namespace "$namespace" --include-crds
} > "$work/highlander.yaml"
{
  cat <<HEADER
# Highlander's alerts as a Prometheus rule file (rule_files: in prometheus.yml), for a
# Prometheus without the Prometheus Operator. Rendered from charts/highlander/templates/_alerts.tpl
# with the default values by scripts/render-deploy.sh (make deploy-manifests): do not edit by
# hand. HighlanderFailoverSlowerThanLease uses 20 s (leaseDuration 15 s + 5 s).
# Runbooks: docs/operations.md, section "Alerts".
HEADER
  # The PrometheusRule's spec is a rule file indented by two: print what follows `spec:` dedented.
  "$HELM_BIN" template "$release" "$work/chart" --namespace "$namespace" \
    --set prometheusRule.enabled=true --show-only templates/prometheusrule.yaml \
    | awk 'found { print substr($0, 3) } /^spec:$/ { found = 1 }'
} > "$work/prometheus-rules.yaml"

# 2. Compare or write.
stale=()
compare() { cmp -s "$1" "$2" || stale+=("$3"); }
for f in "$work"/crds/*.yaml; do
  compare "$f" "$chart/crds/$(basename "$f")" "charts/highlander/crds/$(basename "$f")"
done
for f in "$chart"/crds/*.yaml; do
  [ -f "$f" ] || continue
  [ -f "$work/crds/$(basename "$f")" ] || stale+=("charts/highlander/crds/$(basename "$f") (not in crds/)")
done
compare "$work/values.schema.json" "$chart/values.schema.json" "charts/highlander/values.schema.json"
compare "$work/highlander.yaml" "$deploy/highlander.yaml" "deploy/highlander.yaml"
compare "$work/prometheus-rules.yaml" "$deploy/prometheus-rules.yaml" "deploy/prometheus-rules.yaml"

if [ $check = 1 ]; then
  if [ ${#stale[@]} -gt 0 ]; then
    printf 'out of date (run make deploy-manifests): %s\n' "${stale[@]}" >&2
    exit 1
  fi
  echo "up to date: chart CRDs, values.schema.json \$defs, deploy/highlander.yaml, deploy/prometheus-rules.yaml"
  exit 0
fi
mkdir -p "$chart/crds" "$deploy"
rm -f "$chart/crds/"*.yaml
cp "$work/crds/"*.yaml "$chart/crds/"
cp "$work/values.schema.json" "$chart/values.schema.json"
cp "$work/highlander.yaml" "$deploy/highlander.yaml"
cp "$work/prometheus-rules.yaml" "$deploy/prometheus-rules.yaml"
if [ ${#stale[@]} -gt 0 ]; then printf 'updated: %s\n' "${stale[@]}"; else echo "already up to date"; fi
