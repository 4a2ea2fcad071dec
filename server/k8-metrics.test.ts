// Every metric K8 Highlander registers is on /metrics, with its type and label names, served by
// the real app on a loopback port: a rename, a retype or a lost label fails here.
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import { after, before, test } from 'node:test';
import { createApp, listen } from './http-server.ts';
import { OperatorMetrics } from './metrics.ts';

/**
 * Name, type and label names of each metric registered by K8 Highlander's
 * pkg/monitoring/monitoring.go (NewControllerMetrics, the newest version read: 39 of them).
 */
const K8_METRICS: readonly [name: string, type: 'gauge' | 'counter' | 'histogram', labels: string[]][] = [
  ['k8_highlander_is_leader', 'gauge', []],
  ['k8_highlander_leadership_transitions_total', 'counter', []],
  ['k8_highlander_leadership_duration_seconds', 'histogram', []],
  ['k8_highlander_leadership_acquisitions_total', 'counter', []],
  ['k8_highlander_leadership_losses_total', 'counter', []],
  ['k8_highlander_leadership_failed_attempts_total', 'counter', []],
  ['k8_highlander_last_leader_transition_timestamp_seconds', 'gauge', []],
  ['k8_highlander_workload_status', 'gauge', ['type', 'name', 'namespace']],
  ['k8_highlander_workload_startup_duration_seconds', 'histogram', ['type', 'name']],
  ['k8_highlander_workload_shutdown_duration_seconds', 'histogram', ['type', 'name']],
  ['k8_highlander_workload_operations_total', 'counter', ['type', 'name', 'operation']],
  ['k8_highlander_workload_errors_total', 'counter', ['type', 'name', 'error_type']],
  ['k8_highlander_failover_duration_seconds', 'histogram', []],
  ['k8_highlander_failover_total', 'counter', []],
  ['k8_highlander_failover_errors_total', 'counter', []],
  ['k8_highlander_db_operations_total', 'counter', ['operation']],
  ['k8_highlander_db_errors_total', 'counter', ['operation', 'error_type']],
  ['k8_highlander_db_latency_seconds', 'histogram', ['operation']],
  ['k8_highlander_db_lock_ttl_seconds', 'gauge', []],
  ['k8_highlander_cluster_health', 'gauge', ['cluster']],
  ['k8_highlander_cluster_priority', 'gauge', ['cluster']],
  ['k8_highlander_cluster_transitions_total', 'counter', ['from_cluster', 'to_cluster']],
  ['k8_highlander_system_load', 'gauge', []],
  ['k8_highlander_goroutine_count', 'gauge', []],
  ['k8_highlander_memory_usage_bytes', 'gauge', []],
  ['k8_highlander_cronjob_status', 'gauge', ['name', 'namespace']],
  ['k8_highlander_process_status', 'gauge', ['name', 'namespace']],
  ['k8_highlander_service_status', 'gauge', ['name', 'namespace']],
  ['k8_highlander_persistent_status', 'gauge', ['name', 'namespace']],
  ['k8_highlander_workload_retry_attempts_total', 'counter', ['type', 'name']],
  ['k8_highlander_workload_retry_success_total', 'counter', ['type', 'name']],
  ['k8_highlander_db_connection_failed_total', 'counter', []],
  ['k8_highlander_db_consecutive_failures', 'gauge', []],
  ['k8_highlander_db_failure_duration_seconds', 'gauge', []],
  ['k8_highlander_db_last_success_timestamp_seconds', 'gauge', []],
  ['k8_highlander_db_reconnection_attempts_total', 'counter', []],
  ['k8_highlander_db_reconnection_success_total', 'counter', []],
  ['k8_highlander_controller_state_status', 'gauge', ['state']],
  ['k8_highlander_split_brain_protection_active', 'gauge', []],
];

/** Labels Highlander adds to a K8 Highlander metric (documented in docs/metrics.md). */
const EXTRA_LABELS: Readonly<Record<string, string[]>> = { k8_highlander_leadership_losses_total: ['reason'] };

const metrics = new OperatorMetrics();
let server: Server;
let text = '';

before(async () => {
  const app = createApp({ metrics: metrics.registry, ready: () => ({ ready: true, reasons: [] }) });
  const bound = await listen(app, '127.0.0.1', 0);
  server = bound.server;
  text = await (await fetch(`http://127.0.0.1:${bound.port}/metrics`)).text();
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test('the list is the 39 distinct names of K8 Highlander', () => {
  assert.equal(new Set(K8_METRICS.map(([n]) => n)).size, 39);
});

test('/metrics declares every K8 Highlander metric with its type', () => {
  const declared = new Map([...text.matchAll(/^# TYPE (\S+) (\S+)$/gm)].map((m) => [m[1]!, m[2]!]));
  const wrong = K8_METRICS.filter(([name, type]) => declared.get(name) !== type).map(
    ([name, type]) => `${name}: want ${type}, got ${declared.get(name) ?? 'nothing'}`,
  );
  assert.deepEqual(wrong, []);
});

test("each carries K8 Highlander's label names (plus the documented extras)", () => {
  const wrong = K8_METRICS.flatMap(([name, , labels]) => {
    const metric = metrics.registry.getSingleMetric(name) as unknown as { labelNames?: string[] } | undefined;
    const want = [...labels, ...(EXTRA_LABELS[name] ?? [])].sort();
    const got = [...(metric?.labelNames ?? [])].sort();
    return JSON.stringify(got) === JSON.stringify(want)
      ? []
      : [`${name}: want ${want.join(',')}, got ${got.join(',')}`];
  });
  assert.deepEqual(wrong, []);
});

test('the label-free gauges have a value on the first scrape', () => {
  for (const name of ['k8_highlander_memory_usage_bytes', 'k8_highlander_goroutine_count']) {
    const v = Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    assert.ok(v > 0, `${name} = ${v}`);
  }
  assert.match(text, /^k8_highlander_system_load \d+(\.\d+)?(e-?\d+)?$/m);
  assert.match(text, /^k8_highlander_controller_state_status\{state="NORMAL"\} 1$/m);
});
