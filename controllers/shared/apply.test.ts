import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { unguarded } from '../../runtime/write-guard.ts';
import { contains, deleteChild, ensureChild } from './apply.ts';
import type { ChildWriter } from './apply.ts';

type Call = { verb: 'create' | 'apply' | 'patch' | 'delete'; obj: KubernetesObject; patch?: Record<string, unknown> };

/** Records writes (a unit-test stand-in for the API server); a patch bumps the resourceVersion. */
function recorder(): ChildWriter & { calls: Call[] } {
  const calls: Call[] = [];
  return {
    calls,
    create: <T extends KubernetesObject>(o: T) => {
      calls.push({ verb: 'create', obj: o });
      return Promise.resolve(o);
    },
    apply: <T extends KubernetesObject>(o: T) => {
      calls.push({ verb: 'apply', obj: o });
      return Promise.resolve(o);
    },
    patch: (o, patch) => {
      calls.push({ verb: 'patch', obj: o, patch });
      return Promise.resolve({
        ...o,
        metadata: { ...o.metadata, resourceVersion: `${o.metadata?.resourceVersion}+1` },
      });
    },
    delete: (o) => {
      calls.push({ verb: 'delete', obj: o });
      return Promise.resolve();
    },
  };
}

const desired = {
  apiVersion: 'apps/v1',
  kind: 'Deployment',
  metadata: { name: 'd', namespace: 'ns', labels: { 'highlander.plexobject.io/epoch': '5' } },
  spec: { replicas: 1, template: { spec: { containers: [{ name: 'main', image: 'x:1' }] } } },
};
const actual = (epoch: string, replicas = 1, image = 'x:1') => ({
  ...desired,
  metadata: {
    ...desired.metadata,
    resourceVersion: '42',
    uid: 'u',
    labels: { 'highlander.plexobject.io/epoch': epoch, other: 'kept' },
  },
  spec: {
    replicas,
    revisionHistoryLimit: 10,
    template: { spec: { containers: [{ name: 'main', image, imagePullPolicy: 'IfNotPresent' }] } },
  },
});
const at = (epoch: number) => unguarded(epoch);

test('contains ignores defaults and the epoch stamp, not our fields', () => {
  assert.equal(contains(actual('3'), desired), true);
  assert.equal(contains(actual('3', 0), desired), false);
  assert.equal(contains(actual('3', 1, 'x:2'), desired), false);
});

test('a missing child is created with a create, never a forced apply (it fails if the child exists)', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, undefined, at(5)), 'created');
  assert.deepEqual(
    w.calls.map((c) => c.verb),
    ['create'],
  );
});

test('a matching child of an older leader is adopted by a metadata-only restamp at the version seen', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, actual('4'), at(5)), 'adopted');
  assert.equal(w.calls.length, 1);
  assert.equal(w.calls[0]?.verb, 'patch');
  assert.deepEqual(w.calls[0]?.patch, { metadata: { labels: { 'highlander.plexobject.io/epoch': '5' } } });
  assert.equal(w.calls[0]?.obj.metadata?.resourceVersion, '42');
  // Once ours, nothing is written.
  assert.equal(await ensureChild(w, desired, actual('5'), at(5)), 'unchanged');
  assert.equal(w.calls.length, 1);
});

test('drift is repaired with the resourceVersion we saw as a precondition', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, actual('4', 0), at(5)), 'updated');
  assert.equal(w.calls[0]?.verb, 'apply');
  assert.equal(w.calls[0]?.obj.metadata?.resourceVersion, '42');
});

test('a child written by a newer leader is never touched', async () => {
  const w = recorder();
  assert.equal(await ensureChild(w, desired, actual('6', 0), at(5)), 'fenced');
  assert.equal(await deleteChild(w, actual('6'), at(5)), false);
  assert.equal(w.calls.length, 0);
});

test('a delete is preceded by a stamp with our epoch and carries the version the stamp made', async () => {
  const w = recorder();
  assert.equal(await deleteChild(w, actual('4'), at(5)), true);
  assert.deepEqual(
    w.calls.map((c) => [c.verb, c.obj.metadata?.resourceVersion]),
    [
      ['patch', '42'],
      ['delete', '42+1'],
    ],
  );
});

const ownedBy = (o: KubernetesObject, kind: string, name: string, uid: string): KubernetesObject => ({
  ...o,
  metadata: {
    ...o.metadata,
    ownerReferences: [{ apiVersion: 'highlander.plexobject.io/v1', kind, name, uid, controller: true }],
  },
});

test('a child left by a deleted CR of the same name is deleted (stamped first), not given a second controller', async () => {
  const w = recorder();
  const mine = ownedBy(desired, 'WorkloadService', 'd', 'new-uid');
  const left = ownedBy(actual('4'), 'WorkloadService', 'd', 'old-uid');
  assert.equal(await ensureChild(w, mine, left, at(5)), 'replaced');
  assert.deepEqual(
    w.calls.map((c) => c.verb),
    ['patch', 'delete'],
  );
  assert.equal(w.calls[1]?.obj.metadata?.uid, 'u');
  // Already being deleted: nothing to do but wait for it to go.
  const going = { ...left, metadata: { ...left.metadata, deletionTimestamp: new Date() } };
  assert.equal(await ensureChild(recorder(), mine, going, at(5)), 'waiting');
  // Ours (same uid) is adopted as before.
  assert.equal(
    await ensureChild(recorder(), mine, ownedBy(actual('4'), 'WorkloadService', 'd', 'new-uid'), at(5)),
    'adopted',
  );
});

test("a child's name held by another controller's object is refused with a message naming it, and nothing is written", async () => {
  const w = recorder();
  const mine = ownedBy(desired, 'WorkloadService', 'd', 'new-uid');
  const foreign = ownedBy(actual('0'), 'WorkloadProcess', 'd', 'other-uid');
  await assert.rejects(ensureChild(w, mine, foreign, at(5)), (err: Error) => {
    assert.equal(err.name, 'NameTaken');
    assert.match(err.message, /Deployment ns\/d exists and is controlled by WorkloadProcess d/);
    return true;
  });
  assert.equal(w.calls.length, 0);
});
