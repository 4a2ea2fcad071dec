import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { contains, ensureChild } from './apply.ts';
import type { ChildWriter } from './apply.ts';

/** Records writes (a unit-test stand-in for the API server's apply endpoint). */
function recorder(): ChildWriter & { applied: KubernetesObject[]; deleted: KubernetesObject[] } {
  const applied: KubernetesObject[] = [];
  const deleted: KubernetesObject[] = [];
  return {
    applied,
    deleted,
    apply: <T extends KubernetesObject>(o: T) => {
      applied.push(o);
      return Promise.resolve(o);
    },
    delete: (o) => {
      deleted.push(o);
      return Promise.resolve();
    },
  };
}

const desired = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'ns', annotations: { 'highlander.plexobject.io/epoch': '5' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'main', image: 'x:1' }] } } },
};
const actual = (epoch: string, replicas = 1, image = 'x:1') => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    resourceVersion: '42',
    uid: 'u',
    annotations: { 'highlander.plexobject.io/epoch': epoch, other: 'kept' },
  },
  spec: {
    replicas,
    revisionHistoryLimit: 10,
    template: { spec: { containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent' }] } },
  },
});

test('contains ignores defaults and the epoch stamp, not our fields', () => {
  assert.equal(contains(actual('3'), desired), true);
  assert.equal(contains(actual('3', 0), desired), false);
  assert.equal(contains(actual('3', 1, 'x:2'), desired), false);
});

test('a missing child is created; a matching one is adopted without a write', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, undefined, 5), 'created');
  assert.equal(await ensureChild(w, desired, actual('4'), 5), 'unchanged');
  assert.equal(w.applied.length, 1);
});

test('drift is repaired with the resourceVersion we saw as a precondition', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, actual('4', 0), 5), 'updated');
  assert.equal(w.applied[0]?.metadata?.resourceVersion, '42');
});

test('a child written by a newer leader is never touched', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, actual('6', 0), 5), 'fenced');
  assert.equal(w.applied.length, 0);
});
