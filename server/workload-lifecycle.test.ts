import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Workload } from '../api/types.ts';
import { WorkloadLifecycle } from './workload-lifecycle.ts';

const cr = (name: string, healthy?: boolean): Workload =>
  ({
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadService',
    metadata: { name, namespace: 'ns' },
    spec: { image: 'x', script: { commands: ['true'] }, replicas: 1 },
    ...(healthy === undefined ? {} : { status: { healthy } }),
  }) as unknown as Workload;

const child = (name: string) => ({
  metadata: { namespace: 'ns', labels: { 'highlander.plexobject.io/workload': name } },
});

function setup() {
  let now = 1000;
  const left = new Map<string, number>();
  const seen: string[] = [];
  const life = new WorkloadLifecycle({
    sink: {
      startup: (l, s) => seen.push(`startup ${l.type}/${l.name} ${s}`),
      shutdown: (l, s) => seen.push(`shutdown ${l.type}/${l.name} ${s}`),
    },
    remaining: (ns, name) => left.get(`${ns}/${name}`) ?? 0,
    now: () => now,
  });
  life.observer().acquired?.({ epoch: 1, previousHolder: null, failoverMs: undefined, requestedAgoMs: 0 });
  const lead = (v: boolean): void => {
    if (v) life.observer().acquired?.({ epoch: 2, previousHolder: null, failoverMs: undefined, requestedAgoMs: 0 });
    else life.observer().stopped?.({ epoch: 1, reason: 'lost', heldMs: 1 });
  };
  return {
    life,
    seen,
    left,
    tick: (ms: number) => (now += ms),
    lead,
  };
}

test('start-up: from the first child created to the workload turning healthy, once', () => {
  const s = setup();
  s.life.created(cr('api'));
  s.tick(1500);
  s.life.created(cr('api')); // its Service, a second child: the same start-up
  s.life.updated(cr('api', false));
  s.tick(1000);
  s.life.updated(cr('api', true));
  s.life.updated(cr('api', true));
  assert.deepEqual(s.seen, ['startup service/api 2.5']);
});

test('no start-up for a workload already healthy, nor on a follower; losing leadership drops timers', () => {
  const s = setup();
  s.life.created(cr('api', true));
  s.lead(false);
  s.life.created(cr('web'));
  s.lead(true);
  s.life.created(cr('db'));
  s.lead(false);
  s.lead(true);
  s.life.updated(cr('api', true));
  s.life.updated(cr('web', true));
  s.life.updated(cr('db', true));
  assert.deepEqual(s.seen, []);
});

test('shut-down: from the CR deleted to its last child gone', () => {
  const s = setup();
  s.left.set('ns/api', 2);
  s.life.deleted(cr('api', true));
  s.tick(700);
  s.left.set('ns/api', 1);
  s.life.childGone(child('api'));
  s.tick(300);
  s.left.set('ns/api', 0);
  s.life.childGone(child('other'));
  s.life.childGone(child('api'));
  s.life.childGone(child('api'));
  assert.deepEqual(s.seen, ['shutdown service/api 1']);
});

test('a CR deleted with no children left stops at once; a follower does not time it', () => {
  const s = setup();
  s.life.deleted(cr('gone'));
  s.lead(false);
  s.life.deleted(cr('elsewhere'));
  assert.deepEqual(s.seen, ['shutdown service/gone 0']);
});
