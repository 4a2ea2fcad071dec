{{/*
Names and labels shared by every template.
*/}}

{{/* The chart name, or nameOverride. */}}
{{- define "highlander.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/*
The full name of the release's resources: fullnameOverride, else the release name when it
already contains the chart name, else "<release>-<chart>". Truncated to 63 characters
(the limit of DNS labels).
*/}}
{{- define "highlander.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* The labels that select the operator's pods (a subset of highlander.labels; never changes). */}}
{{- define "highlander.selectorLabels" -}}
app.kubernetes.io/name: {{ include "highlander.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/component: operator
{{- end }}

{{/* The labels of every resource the chart renders. */}}
{{- define "highlander.labels" -}}
{{ include "highlander.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | trunc 63 | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: highlander
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* The ServiceAccount the operator runs as. */}}
{{- define "highlander.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "highlander.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The image reference: repository@digest, or repository:tag (tag defaults to appVersion). */}}
{{- define "highlander.image" -}}
{{- if .Values.image.digest }}
{{- printf "%s@%s" .Values.image.repository .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) }}
{{- end }}
{{- end }}

{{/* Namespace of the Lease lock. */}}
{{- define "highlander.leaseNamespace" -}}
{{- default .Release.Namespace .Values.config.leaderElection.leaseNamespace }}
{{- end }}

{{/*
The tenant's Lease: the lock with the Lease store (election/store-factory.ts:
highlander-leader-<tenant>), the fence with the others (controllers/fence.ts: highlander-fence-<tenant>).
*/}}
{{- define "highlander.leaseName" -}}
{{- if eq .Values.lockStore.type "kubernetes" }}
{{- printf "highlander-leader-%s" .Values.config.tenant }}
{{- else }}
{{- printf "highlander-fence-%s" .Values.config.tenant }}
{{- end }}
{{- end }}

{{/*
Checks across values (one setting depends on another); fails the render naming the setting.
*/}}
{{- define "highlander.validate" -}}
{{- if and (eq .Values.rbac.scope "namespaced") (empty .Values.watchNamespaces) }}
{{- fail "watchNamespaces: list the namespaces to manage when rbac.scope is namespaced (Roles are made in each)" }}
{{- end }}
{{- if .Values.watchNamespaces }}
{{- $default := default .Release.Namespace .Values.config.namespace }}
{{- range $list, $items := .Values.config.workloads }}
{{- range $items }}
{{- $ns := default $default .namespace }}
{{- if not (has $ns $.Values.watchNamespaces) }}
{{- fail (printf "config.workloads.%s: %s is in namespace %s, which is not in watchNamespaces (the operator could neither see nor write it)" $list .name $ns) }}
{{- end }}
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq .Values.lockStore.type "redis") (empty .Values.lockStore.redis.addr) }}
{{- fail "lockStore.redis.addr: required when lockStore.type is redis (host:port)" }}
{{- end }}
{{- if and (eq .Values.lockStore.type "db") (empty .Values.lockStore.db.existingSecret) }}
{{- fail "lockStore.db.existingSecret: required when lockStore.type is db (a Secret holding the PostgreSQL URL)" }}
{{- end }}
{{- if eq .Values.lockStore.type "spanner" }}
{{- if or (empty .Values.lockStore.spanner.projectID) (empty .Values.lockStore.spanner.instanceID) (empty .Values.lockStore.spanner.databaseID) }}
{{- fail "lockStore.spanner: projectID, instanceID and databaseID are required when lockStore.type is spanner" }}
{{- end }}
{{- end }}
{{- end }}
