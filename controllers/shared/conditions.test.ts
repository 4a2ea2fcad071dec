import assert from 'node:assert/strict';
import { test } from 'node:test';
import { conditionsFor, findCondition, mergeConditions } from './conditions.ts';

const t0 = new Date('2026-01-01T00:00:00Z');
const t1 = new Date('2026-01-01T00:05:00Z');

test('lastTransitionTime stays while the status stays, and moves when it flips', () => {
  const first = mergeConditions(
    undefined,
    conditionsFor({ ready: false, reconciling: true, reason: 'Creating', message: 'creating pod' }, 1),
    t0,
  );
  const same = mergeConditions(
    first,
    conditionsFor({ ready: false, reconciling: true, reason: 'Waiting', message: 'pod pending' }, 1),
    t1,
  );
  assert.equal(findCondition(same, 'Ready')?.lastTransitionTime, t0.toISOString());
  assert.equal(findCondition(same, 'Ready')?.reason, 'Waiting');
  const flipped = mergeConditions(
    same,
    conditionsFor({ ready: true, reconciling: false, reason: 'Running', message: 'pod ready' }, 2),
    t1,
  );
  assert.equal(findCondition(flipped, 'Ready')?.lastTransitionTime, t1.toISOString());
  assert.equal(findCondition(flipped, 'Ready')?.observedGeneration, 2);
  assert.equal(findCondition(flipped, 'Reconciling')?.status, 'False');
});

test('a stalled workload is Ready=False, Stalled=True, Reconciling=False with the reason', () => {
  const c = conditionsFor(
    {
      ready: false,
      reconciling: true,
      stalled: { reason: 'ImagePullSecretMissing', message: 'secret regcred not found' },
      reason: 'x',
      message: 'y',
    },
    3,
  );
  assert.deepEqual(
    c.map((x) => [x.type, x.status, x.reason]),
    [
      ['Ready', 'False', 'ImagePullSecretMissing'],
      ['Reconciling', 'False', 'Stalled'],
      ['Stalled', 'True', 'ImagePullSecretMissing'],
    ],
  );
});

test('conditions of other types are kept', () => {
  const merged = mergeConditions(
    [{ type: 'Custom', status: 'True', reason: 'r', message: '', lastTransitionTime: t0.toISOString() }],
    conditionsFor({ ready: true, reconciling: false, reason: 'Running', message: '' }, 1),
    t1,
  );
  assert.equal(merged.length, 4);
  assert.equal(findCondition(merged, 'Custom')?.lastTransitionTime, t0.toISOString());
});
