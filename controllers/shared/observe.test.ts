// The observers, and the status built from them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { observeCronJob } from '../cronjob/observe.ts';
import { observeProcess } from '../process/observe.ts';
import { observeReplicas } from './replicas.ts';
import { buildStatus, statusChanged } from './status.ts';

const ctx = { generation: 2, leader: 'a_1', epoch: 5, now: new Date('2026-01-01T00:00:00Z') };

test('a running, ready pod is active and healthy; a missing one is being created', () => {
  const ready = observeProcess(
    { metadata: { name: 'p-pod' }, status: { phase: 'Running', conditions: [{ type: 'Ready', status: 'True' }] } },
    'Always',
  );
  assert.deepEqual([ready.active, ready.healthy, ready.ready], [true, true, true]);
  const none = observeProcess(undefined, 'Always');
  assert.deepEqual([none.active, none.ready, none.reconciling], [false, false, true]);
  const done = observeProcess({ metadata: { name: 'p-pod' }, status: { phase: 'Succeeded' } }, 'Never');
  assert.deepEqual([done.ready, done.reason], [true, 'Completed']);
  const failed = observeProcess({ metadata: { name: 'p-pod' }, status: { phase: 'Failed' } }, 'Never');
  assert.deepEqual([failed.ready, failed.healthy, failed.reconciling], [false, false, false]);
});

test('replicas: ready when every wanted replica is ready at the current generation', () => {
  const ok = observeReplicas(
    { metadata: { generation: 3 }, status: { observedGeneration: 3, readyReplicas: 1, updatedReplicas: 1 } },
    1,
    'Deployment',
  );
  assert.equal(ok.ready, true);
  const stale = observeReplicas(
    { metadata: { generation: 4 }, status: { observedGeneration: 3, readyReplicas: 1, updatedReplicas: 1 } },
    1,
    'Deployment',
  );
  assert.equal(stale.ready, false);
  assert.deepEqual(stale.fields, { replicas: 1, readyReplicas: 1 });
});

test('cron: suspended is Ready but not active; a failed last run is unhealthy', () => {
  const s = observeCronJob({ spec: { schedule: '* * * * *', jobTemplate: {} }, status: {} }, true);
  assert.deepEqual([s.ready, s.active, s.phase], [true, false, 'Suspended']);
  const failed = observeCronJob(
    {
      spec: { schedule: '* * * * *', jobTemplate: {} },
      status: {
        lastScheduleTime: new Date('2026-01-01T00:05:00Z'),
        lastSuccessfulTime: new Date('2026-01-01T00:01:10Z'),
      },
    },
    false,
  );
  assert.equal(failed.healthy, false);
  assert.equal(failed.fields.lastScheduleTime, '2026-01-01T00:05:00.000Z');
});

test('status carries generation, leader and epoch, and an unchanged status is not rewritten', () => {
  const o = observeReplicas(undefined, 1, 'Deployment');
  const s1 = buildStatus(undefined, o, ctx);
  assert.deepEqual([s1.observedGeneration, s1.leader, s1.epoch, s1.active], [2, 'a_1', 5, false]);
  const s2 = buildStatus(s1, o, { ...ctx, now: new Date('2026-01-01T00:10:00Z') });
  assert.equal(statusChanged(s1, s2), false, 'same observation, later time: nothing to write');
  assert.equal(statusChanged(s1, buildStatus(s1, o, { ...ctx, epoch: 6 })), true, 'a new leader writes its epoch');
});
