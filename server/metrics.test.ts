import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderGate } from '../election/leader-gate.ts';
import { DEFAULT_TIMINGS } from '../election/timings.ts';
import { OperatorMetrics, instrumentStore } from './metrics.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { StoreHealth } from '../election/store-health.ts';

async function value(m: OperatorMetrics, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  assert.ok(metric, `no metric ${name}`);
  const v = (metric.values as { value: number; labels: Record<string, string | number>; metricName?: string }[]).filter(
    (x) =>
      (x.metricName === undefined || x.metricName === name || x.metricName === `${name}_count`) &&
      Object.entries(labels).every(([k, l]) => x.labels[k] === l),
  );
  return v.reduce((a, x) => a + (x.metricName?.endsWith('_bucket') ? 0 : x.value), 0);
}

test('a takeover is counted once in each leadership and failover metric', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  await lock.client().tryAcquire('ghost', DEFAULT_TIMINGS.leaseDurationMs);
  const m = new OperatorMetrics({ processMetrics: false });
  const store = instrumentStore(lock.client(), m);
  const gate = new LeaderGate({
    store,
    identity: 'me',
    timings: DEFAULT_TIMINGS,
    clock,
    observer: m.gateObserver(),
    callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
  });
  await gate.start();
  await clock.advance(DEFAULT_TIMINGS.leaseDurationMs + 10);
  assert.equal(await value(m, 'k8_highlander_is_leader'), 1);
  assert.equal(await value(m, 'k8_highlander_leadership_acquisitions_total'), 1);
  assert.equal(await value(m, 'k8_highlander_failover_total'), 1);
  assert.equal(await value(m, 'k8_highlander_failover_duration_seconds'), 1, 'one failover observed');
  assert.equal(await value(m, 'k8_highlander_db_operations_total', { operation: 'acquire' }), 2);
  await gate.stop();
  assert.equal(await value(m, 'k8_highlander_is_leader'), 0);
  assert.equal(await value(m, 'k8_highlander_leadership_losses_total', { reason: 'shutdown' }), 1);
  assert.equal(await value(m, 'k8_highlander_leadership_transitions_total'), 2);
  assert.equal(await value(m, 'k8_highlander_db_operations_total', { operation: 'release' }), 1);
});

test('store errors are counted by operation and code', async () => {
  const lock = new MemoryLock(new FakeClock());
  const raw = lock.client();
  raw.down();
  const m = new OperatorMetrics({ processMetrics: false });
  await assert.rejects(instrumentStore(raw, m).tryAcquire('a', 1000));
  assert.equal(await value(m, 'k8_highlander_db_errors_total', { operation: 'acquire', error_type: 'unavailable' }), 1);
  const text = await m.registry.metrics();
  assert.match(text, /^k8_highlander_db_latency_seconds_count\{operation="acquire"\} 1$/m);
});

test('workload gauges come from the source at scrape time, and are empty on a follower', async () => {
  const m = new OperatorMetrics({ processMetrics: false });
  let leading = true;
  const source = [
    { type: 'cronjob', name: 'report', namespace: 'a', active: true, healthy: true },
    { type: 'service', name: 'api', namespace: 'b', active: true, healthy: false },
  ];
  m.exportWorkloads(() => (leading ? source : null));
  assert.equal(await value(m, 'k8_highlander_workload_status', { name: 'report', type: 'cronjob', namespace: 'a' }), 1);
  assert.equal(await value(m, 'k8_highlander_workload_healthy', { name: 'api' }), 0);
  assert.equal(await value(m, 'k8_highlander_workload_healthy', { name: 'report' }), 1);
  source.pop();
  const text = await m.registry.metrics();
  assert.ok(!text.includes('name="api"'), 'a removed workload is gone at the next scrape');
  leading = false;
  const followerText = await m.registry.metrics();
  assert.doesNotMatch(
    followerText,
    /k8_highlander_workload_status\{/,
    'followers export no workload series (no double counting)',
  );
});

test('cluster_health follows the health check at scrape time', async () => {
  const m = new OperatorMetrics({ processMetrics: false });
  let healthy = false;
  m.exportClusterHealth('primary', () => healthy);
  assert.equal(await value(m, 'k8_highlander_cluster_health', { cluster: 'primary' }), 0);
  healthy = true;
  assert.equal(await value(m, 'k8_highlander_cluster_health', { cluster: 'primary' }), 1);
});

test('per-kind status gauges come from the workload source, keyed by name and namespace, leader only', async () => {
  const m = new OperatorMetrics({ processMetrics: false });
  let leading = true;
  m.exportWorkloads(() =>
    leading
      ? [
          { type: 'process', name: 'idgen', namespace: 'a', active: true, healthy: true },
          { type: 'cronjob', name: 'report', namespace: 'a', active: false, healthy: true },
        ]
      : null,
  );
  assert.equal(await value(m, 'k8_highlander_process_status', { name: 'idgen', namespace: 'a' }), 1);
  assert.equal(await value(m, 'k8_highlander_cronjob_status', { name: 'report', namespace: 'a' }), 0);
  const text = await m.registry.metrics();
  assert.doesNotMatch(text, /^k8_highlander_service_status\{/m, 'no service, no series');
  assert.doesNotMatch(text, /^k8_highlander_process_status\{name="report"/m, 'each kind only its own');
  leading = false;
  assert.doesNotMatch(await m.registry.metrics(), /^k8_highlander_(process|cronjob)_status\{/m);
});

test('store metrics: the failure run, reconnections, the controller state and the lease TTL', async () => {
  const clock = new FakeClock();
  const raw = new MemoryLock(clock).client();
  const health = new StoreHealth(() => clock.now());
  const store = health.watch(raw);
  const m = new OperatorMetrics({ processMetrics: false });
  m.store.follow({ health, thresholdMs: 10_000, leaseRemainingMs: () => 4200 });
  const state = async (s: string) => value(m, 'k8_highlander_controller_state_status', { state: s });

  await store.read();
  assert.equal(await value(m, 'k8_highlander_db_lock_ttl_seconds'), 4.2);
  assert.equal(await value(m, 'k8_highlander_db_last_success_timestamp_seconds'), clock.now() / 1000);
  assert.deepEqual([await state('NORMAL'), await state('DEGRADED_DB')], [1, 0]);
  raw.down();
  await assert.rejects(store.read());
  await clock.advance(4000);
  await assert.rejects(store.read());
  assert.equal(await value(m, 'k8_highlander_db_consecutive_failures'), 2);
  assert.equal(await value(m, 'k8_highlander_db_failure_duration_seconds'), 4);
  assert.deepEqual([await state('NORMAL'), await state('DEGRADED_DB'), await state('SPLIT_BRAIN_RISK')], [0, 1, 0]);
  assert.equal(await value(m, 'k8_highlander_split_brain_protection_active'), 0);
  await clock.advance(6000);
  assert.deepEqual([await state('DEGRADED_DB'), await state('SPLIT_BRAIN_RISK')], [0, 1]);
  assert.equal(await value(m, 'k8_highlander_split_brain_protection_active'), 1);

  raw.down(false);
  await store.read();
  assert.equal(await value(m, 'k8_highlander_db_connection_failed_total'), 2);
  assert.equal(await value(m, 'k8_highlander_db_reconnection_attempts_total'), 2, 'the second failure and the success');
  assert.equal(await value(m, 'k8_highlander_db_reconnection_success_total'), 1);
  assert.deepEqual([await state('NORMAL'), await value(m, 'k8_highlander_db_failure_duration_seconds')], [1, 0]);
});

test('cluster_priority is 0 for this cluster once cluster health is exported', async () => {
  const m = new OperatorMetrics({ processMetrics: false });
  assert.doesNotMatch(await m.registry.metrics(), /^k8_highlander_cluster_priority\{/m);
  m.exportClusterHealth('primary', () => true);
  assert.match(await m.registry.metrics(), /^k8_highlander_cluster_priority\{cluster="primary"\} 0$/m);
});
