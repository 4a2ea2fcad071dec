{{/*
The alert rules, in Prometheus's rule-file format: the spec of the PrometheusRule
(prometheusrule.yaml) and, rendered with the default values, deploy/prometheus-rules.yaml
(scripts/render-deploy.sh), so there is one source for both.

Every expression keeps `namespace` and `job` (the release's namespace and Service when scraped
through the ServiceMonitor), so that several releases or tenants alert separately.
Prometheus's own template text ($labels, $value) sits in backquoted Helm strings, which Helm
prints unchanged.
The runbooks are the "Alerts" section of docs/operations.md, one heading per alert.
*/}}
{{- define "highlander.alertGroups" -}}
{{- $slow := .Values.prometheusRule.failoverThresholdSeconds }}
{{- $book := .Values.prometheusRule.runbookBaseURL -}}
groups:
  - name: highlander
    rules:
      # K8 Highlander's NoLeader, per release.
      - alert: HighlanderNoLeader
        expr: sum by (namespace, job) (k8_highlander_is_leader) == 0
        for: 1m
        labels:
          severity: critical
        annotations:
          summary: No Highlander replica leads
          description: >-
            No replica of {{`{{ $labels.job }}`}} in {{`{{ $labels.namespace }}`}} has led for
            a minute: nobody reconciles the singleton workloads and a crashed one is not replaced.
          runbook: >-
            docs/operations.md#highlandernoleader: curl /readyz and /api/v1/status on each replica;
            usually the lock store is unreachable or the Lease cannot be written (RBAC).
          {{- with $book }}
          runbook_url: {{ . }}#highlandernoleader
          {{- end }}
      # Two replicas scraped at different moments can overlap for one scrape; two minutes is not that.
      - alert: HighlanderMultipleLeaders
        expr: sum by (namespace, job) (k8_highlander_is_leader) > 1
        for: 2m
        labels:
          severity: critical
        annotations:
          summary: More than one Highlander replica says it leads
          description: >-
            {{`{{ $value }}`}} replicas of {{`{{ $labels.job }}`}} in {{`{{ $labels.namespace }}`}}
            report k8_highlander_is_leader 1: the singletons may run twice.
          runbook: >-
            docs/operations.md#highlandermultipleleaders: compare currentLeader and epoch in
            /api/v1/status of each replica; look for replicas on different lock stores or tenants.
          {{- with $book }}
          runbook_url: {{ . }}#highlandermultipleleaders
          {{- end }}
      # K8 Highlander's FrequentLeadershipTransitions. A handover counts twice (one loss, one
      # acquisition): more than 6 means more than three leadership changes in 15 minutes.
      - alert: HighlanderLeadershipFlapping
        expr: sum by (namespace, job) (increase(k8_highlander_leadership_transitions_total[15m])) > 6
        labels:
          severity: warning
        annotations:
          summary: Highlander leadership changes too often
          description: >-
            {{`{{ $value | printf "%.0f" }}`}} leadership transitions in 15 minutes for
            {{`{{ $labels.job }}`}} in {{`{{ $labels.namespace }}`}}.
          runbook: >-
            docs/operations.md#highlanderleadershipflapping: read leadership_losses_total by
            reason; renew-deadline means a slow store or a blocked event loop, lost a contested lock.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderleadershipflapping
          {{- end }}
      # K8 Highlander's HighFailoverDuration: a takeover in the last hour took longer than 30 s.
      # Takeovers above the bound = all takeovers - those in the le="30" bucket. Prometheus 3
      # writes integer bounds as "30.0", older ones as "30": the regex takes both. Counts are
      # whole, so > 0.5 ignores the fractions increase() extrapolates.
      - alert: HighlanderFailoverSlow
        expr: |-
          sum by (namespace, job) (increase(k8_highlander_failover_duration_seconds_count[1h]))
            - sum by (namespace, job) (increase(k8_highlander_failover_duration_seconds_bucket{le=~"30(\\.0)?"}[1h]))
            > 0.5
        labels:
          severity: warning
        annotations:
          summary: A Highlander failover took longer than 30 s
          description: >-
            {{`{{ $value | printf "%.0f" }}`}} takeovers by {{`{{ $labels.job }}`}} in
            {{`{{ $labels.namespace }}`}} left the workloads leaderless for more than 30 s in the last hour.
          runbook: >-
            docs/operations.md#highlanderfailoverslow: /api/failovers lists each takeover with its
            duration; check the lock store's latency and errors around that time.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderfailoverslow
          {{- end }}
      # The same count against prometheusRule.failoverThresholdSeconds (leaseDuration + 5 s),
      # which must be a bucket bound of the histogram for the difference to be exact.
      - alert: HighlanderFailoverSlowerThanLease
        expr: |-
          sum by (namespace, job) (increase(k8_highlander_failover_duration_seconds_count[1h]))
            - sum by (namespace, job) (increase(k8_highlander_failover_duration_seconds_bucket{le=~"{{ $slow }}(\\.0)?"}[1h]))
            > 0.5
        labels:
          severity: warning
        annotations:
          summary: A Highlander failover took longer than {{ $slow }} s
          description: >-
            {{`{{ $value | printf "%.0f" }}`}} takeovers by {{`{{ $labels.job }}`}} in
            {{`{{ $labels.namespace }}`}} took longer than {{ $slow }} s (lease duration + 5 s)
            in the last hour.
          runbook: >-
            docs/operations.md#highlanderfailoverslowerthanlease: as for a slow failover; set
            prometheusRule.failoverThresholdSeconds from config.leaderElection.leaseDuration.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderfailoverslowerthanlease
          {{- end }}
      # K8 Highlander's WorkloadNotHealthy (errors on a workload). A single refusal is counted
      # once and raises HighlanderWorkloadStalled instead: this one wants errors in every 5
      # minutes for 10 minutes.
      - alert: HighlanderWorkloadErrors
        expr: sum by (namespace, job, type, name, error_type) (increase(k8_highlander_workload_errors_total[5m])) > 0
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: A Highlander workload keeps failing to reconcile
          description: >-
            {{`{{ $labels.type }}`}} {{`{{ $labels.name }}`}} ({{`{{ $labels.job }}`}} in
            {{`{{ $labels.namespace }}`}}) has had {{`{{ $labels.error_type }}`}} errors for 10 minutes.
          runbook: >-
            docs/operations.md#highlanderworkloaderrors: kubectl get events for the CR and the
            leader's "reconcile failed" logs; reconcile errors retry, http codes are refusals.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderworkloaderrors
          {{- end }}
      # K8 Highlander's RedisConnectionIssues, for every lock store (the metric says db for all).
      - alert: HighlanderLockStoreErrors
        expr: sum by (namespace, job, operation, error_type) (increase(k8_highlander_db_errors_total[5m])) > 0
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: Highlander's lock store calls keep failing
          description: >-
            {{`{{ $labels.operation }}`}} calls of {{`{{ $labels.job }}`}} in
            {{`{{ $labels.namespace }}`}} have failed ({{`{{ $labels.error_type }}`}}) for 10 minutes.
          runbook: >-
            docs/operations.md#highlanderlockstoreerrors: timeout and unavailable point at the
            network or the store's load, config at credentials or settings; see the replica's logs.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderlockstoreerrors
          {{- end }}
      # cluster_health is readiness: 0 means the store is unreachable or the caches are not
      # synced. Store errors on the same replica tell the first from the second; more than two
      # in 5 minutes, because one failed call is a blip, and a replica that cannot reach the
      # store retries at least every leaseDuration.
      - alert: HighlanderLockStoreUnreachable
        expr: |-
          max by (namespace, job, instance, pod) (k8_highlander_cluster_health) == 0
            and on (namespace, job, instance)
          sum by (namespace, job, instance) (increase(k8_highlander_db_errors_total[5m])) > 2
        for: 2m
        labels:
          severity: critical
        annotations:
          summary: A Highlander replica cannot reach its lock store
          description: >-
            {{`{{ $labels.instance }}`}} ({{`{{ $labels.job }}`}} in {{`{{ $labels.namespace }}`}})
            is not ready and its lock store calls fail: it can neither lead nor take over.
          runbook: >-
            docs/operations.md#highlanderlockstoreunreachable: curl /readyz on the replica for the
            error; check the store, its address and credentials, and the NetworkPolicy egress.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderlockstoreunreachable
          {{- end }}
      # The leader alone exports workload_healthy; max over replicas keeps one series per
      # workload across a failover. The workload's namespace is exported_namespace, or
      # namespace itself with serviceMonitor.honorLabels.
      - alert: HighlanderWorkloadStalled
        expr: max by (namespace, exported_namespace, job, type, name) (k8_highlander_workload_healthy) == 0
        for: 10m
        labels:
          severity: warning
        annotations:
          summary: A Highlander workload has not been healthy for 10 minutes
          description: >-
            {{`{{ $labels.type }}`}} {{`{{ or $labels.exported_namespace $labels.namespace }}`}}/{{`{{ $labels.name }}`}}
            (managed by {{`{{ $labels.job }}`}}) is not healthy.
          runbook: >-
            docs/operations.md#highlanderworkloadstalled: kubectl get the CR -o yaml; a Stalled
            condition names the refusal (Invalid, Forbidden, MaxRestartsExceeded) to fix in the spec.
          {{- with $book }}
          runbook_url: {{ . }}#highlanderworkloadstalled
          {{- end }}
{{- end }}
