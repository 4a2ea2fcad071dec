// Unit tests of the kstatus rules used to check our statuses (no cluster).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { kstatus } from './kstatus.ts';

const cond = (type: string, status: string, message = '') => ({ type, status, reason: `${type}Reason`, message });
const obj = (generation: number, status?: object, deletionTimestamp?: string) => ({
  kind: 'WorkloadProcess',
  metadata: { generation, ...(deletionTimestamp ? { deletionTimestamp } : {}) },
  ...(status ? { status } : {}),
});

test('deletion wins over everything else', () => {
  const r = kstatus(obj(2, { observedGeneration: 1, conditions: [cond('Stalled', 'True')] }, '2024-01-01T00:00:00Z'));
  assert.deepEqual([r.status, r.rule], ['Terminating', 'deletion']);
});

test('a stale observedGeneration is InProgress, whatever the conditions say', () => {
  const r = kstatus(obj(3, { observedGeneration: 2, conditions: [cond('Ready', 'True')] }));
  assert.deepEqual([r.status, r.rule], ['InProgress', 'generation']);
  assert.equal(r.message, 'WorkloadProcess generation is 3, but latest observed generation is 2');
});

test('Reconciling=True is InProgress and Stalled=True is Failed, with the condition message', () => {
  assert.deepEqual(
    kstatus(
      obj(1, {
        observedGeneration: 1,
        conditions: [cond('Ready', 'False'), cond('Reconciling', 'True', 'pod pending')],
      }),
    ),
    {
      status: 'InProgress',
      rule: 'reconciling',
      message: 'pod pending',
    },
  );
  assert.deepEqual(kstatus(obj(1, { observedGeneration: 1, conditions: [cond('Stalled', 'True', 'refused')] })), {
    status: 'Failed',
    rule: 'stalled',
    message: 'refused',
  });
  // No message: the reason stands in.
  assert.equal(
    kstatus(obj(1, { observedGeneration: 1, conditions: [cond('Stalled', 'True')] })).message,
    'StalledReason',
  );
});

test('Ready=True is Current by the ready rule; no decision is Current by the fallback', () => {
  assert.deepEqual(kstatus(obj(1, { observedGeneration: 1, conditions: [cond('Ready', 'True', 'running')] })), {
    status: 'Current',
    rule: 'ready',
    message: 'running',
  });
  // No status at all (a CR no controller has seen yet): kstatus cannot tell, and says Current.
  assert.deepEqual([kstatus(obj(1)).status, kstatus(obj(1)).rule], ['Current', 'fallback']);
  assert.equal(kstatus(obj(1, { observedGeneration: 1, conditions: [cond('Ready', 'False')] })).rule, 'fallback');
});

test('False conditions decide nothing', () => {
  const r = kstatus(
    obj(1, {
      observedGeneration: 1,
      conditions: [cond('Reconciling', 'False'), cond('Stalled', 'False'), cond('Ready', 'True')],
    }),
  );
  assert.deepEqual([r.status, r.rule], ['Current', 'ready']);
});
