import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LeaderGate } from '../election/leader-gate.ts';
import { DEFAULT_TIMINGS } from '../election/timings.ts';
import { OperatorMetrics, instrumentStore } from './metrics.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';

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
