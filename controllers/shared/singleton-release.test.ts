import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { V1Pod } from '@kubernetes/client-node';
import { isHeld, mayRun, podsToRelease } from './singleton-release.ts';

const GATE = [{ name: 'highlander.plexobject.io/singleton' }];
const pod = (
  name: string,
  o: { held?: boolean; phase?: string; deleting?: boolean; created?: string } = {},
): V1Pod => ({
  metadata: {
    name,
    creationTimestamp: (o.created ?? '2026-01-01T00:00:00Z') as unknown as Date,
    ...(o.deleting ? { deletionTimestamp: '2026-01-01T00:01:00Z' as unknown as Date } : {}),
  },
  spec: { containers: [], ...(o.held ? { schedulingGates: GATE } : {}) },
  status: { phase: o.phase ?? (o.held ? 'Pending' : 'Running') },
});

test('a held pod is released only when no other pod of the workload may still run', () => {
  const replacement = pod('new', { held: true });
  assert.deepEqual(podsToRelease([replacement], 1), [replacement]);
  // The old pod is terminating: its container may still run, so the new one waits.
  assert.deepEqual(podsToRelease([pod('old', { deleting: true }), replacement], 1), []);
  // Or it runs on a node that stopped answering: the API still says Running.
  assert.deepEqual(podsToRelease([pod('old'), replacement], 1), []);
  // A pod in a final phase no longer runs.
  assert.deepEqual(podsToRelease([pod('old', { phase: 'Failed' }), replacement], 1), [replacement]);
  assert.deepEqual(podsToRelease([pod('old', { phase: 'Succeeded' }), replacement], 1), [replacement]);
});

test('with several replicas, only as many as are missing are released, oldest first', () => {
  const a = pod('a', { held: true, created: '2026-01-01T00:00:02Z' });
  const b = pod('b', { held: true, created: '2026-01-01T00:00:01Z' });
  const c = pod('c', { held: true, created: '2026-01-01T00:00:03Z' });
  assert.deepEqual(podsToRelease([pod('running'), a, b, c], 3), [b, a]);
  assert.deepEqual(
    podsToRelease([a, pod('x', { held: true, deleting: true })], 2),
    [a],
    'a held pod being deleted is not released',
  );
});

test('held and may-run are told apart', () => {
  assert.equal(isHeld(pod('h', { held: true })), true);
  assert.equal(mayRun(pod('h', { held: true })), false);
  assert.equal(mayRun(pod('r')), true);
  assert.equal(mayRun(pod('p', { phase: 'Pending' })), true, 'a pending pod released earlier may start any moment');
});
