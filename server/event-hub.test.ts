import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventHub, FailoverRecorder } from './event-hub.ts';
import type { HubEvent } from './event-hub.ts';

const leadership = (epoch: number): HubEvent => ({
  type: 'leadership',
  at: 't',
  change: 'observed',
  leader: 'x',
  epoch,
});

test('subscribers get every event; history is bounded and skips workload state', () => {
  const hub = new EventHub(3, 2);
  const got: HubEvent[] = [];
  const off = hub.subscribe((e) => got.push(e));
  hub.subscribe(() => {
    throw new Error('a broken subscriber');
  });
  for (let i = 1; i <= 5; i++) hub.publish(leadership(i));
  hub.publish({
    type: 'workload',
    at: 't',
    change: 'added',
    workload: {
      kind: 'WorkloadProcess',
      type: 'process',
      namespace: 'n',
      name: 'w',
      active: false,
      healthy: false,
      phase: '',
      message: '',
    },
  });
  assert.equal(got.length, 6, 'the broken subscriber did not stop the others');
  assert.deepEqual(
    hub.recent().map((e) => (e.type === 'leadership' ? e.epoch : e.type)),
    [3, 4, 5],
  );
  off();
  hub.publish(leadership(6));
  assert.equal(got.length, 6);
  assert.equal(hub.subscribers, 1);
});

test('failover timeline: first election, own takeover with the gate’s time, observed takeover timed from the free lock', () => {
  let now = 1_000;
  const hub = new EventHub();
  const rec = new FailoverRecorder('me', hub, () => now);
  rec.holderSeen('a', 1); // a was leading when we started: a first sighting
  rec.holderSeen('a', 1); // seen again: nothing new
  now = 5_000;
  rec.acquired(2, 'a', 1234);
  rec.stopped();
  now = 5_300;
  rec.holderSeen(null, 2);
  now = 5_450;
  rec.holderSeen('b', 3);
  rec.holderSeen('c', 4); // c took over from b without us seeing the lock free
  const f = hub.failovers();
  assert.deepEqual(
    f.map((x) => [x.from, x.to, x.epoch, x.durationMs, x.observedBy]),
    [
      ['b', 'c', 4, null, 'observed'],
      ['me', 'b', 3, 450, 'observed'],
      ['a', 'me', 2, 1234, 'self'],
      [null, 'a', 1, null, 'observed'],
    ],
  );
  assert.equal(f[2]!.at, new Date(5_000).toISOString());
});
