import assert from 'node:assert/strict';
import { test } from 'node:test';
import { configuredId } from '../election/identity.ts';
import { OperatorMetrics } from '../server/metrics.ts';
import { countReconcileOutcomes } from './workload-events.ts';

async function value(m: OperatorMetrics, name: string, labels: Record<string, string>): Promise<number> {
  const metric = (await m.registry.getMetricsAsJSON()).find((x) => x.name === name);
  const hit = metric?.values.find((v) => Object.entries(labels).every(([k, l]) => v.labels[k] === l));
  return hit?.value ?? 0;
}

test('retries: a pass after a retryable failure is an attempt, and a success after one a retry success', async () => {
  const m = new OperatorMetrics({ processMetrics: false });
  const seen = countReconcileOutcomes(m);
  const pass = (key: string, outcome: 'success' | 'error', more: { terminal?: boolean; aborted?: boolean } = {}) =>
    seen('WorkloadService', { key, outcome, terminal: more.terminal ?? false, aborted: more.aborted ?? false });
  const api = { type: 'service', name: 'api' };
  pass('ns/api', 'success');
  pass('ns/api', 'error');
  pass('ns/api', 'error');
  pass('ns/api', 'success');
  pass('ns/api', 'success');
  assert.deepEqual(
    [
      await value(m, 'k8_highlander_workload_retry_attempts_total', api),
      await value(m, 'k8_highlander_workload_retry_success_total', api),
      await value(m, 'k8_highlander_workload_errors_total', { ...api, error_type: 'reconcile' }),
    ],
    [2, 1, 2],
  );

  // A terminal failure waits for a change, and one cut short by the end of leadership is not retried here.
  const web = { type: 'service', name: 'web' };
  pass('ns/web', 'error', { terminal: true });
  pass('ns/web', 'success');
  pass('ns/web', 'error', { aborted: true });
  pass('ns/web', 'success');
  assert.deepEqual(
    [
      await value(m, 'k8_highlander_workload_retry_attempts_total', web),
      await value(m, 'k8_highlander_workload_errors_total', { ...web, error_type: 'terminal' }),
    ],
    [0, 1],
  );
});

test('the configured id inside a holder identity, for the cluster transition labels', () => {
  assert.equal(configuredId('controller-1_0a1b2c3d'), 'controller-1');
  assert.equal(configuredId('a_b_0a1b2c3d'), 'a_b');
  assert.equal(configuredId('no-suffix'), 'no-suffix');
  assert.equal(configuredId('short_0a1b'), 'short_0a1b');
});
