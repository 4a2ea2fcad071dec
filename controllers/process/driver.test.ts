import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import { unguarded } from '../../runtime/write-guard.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { meta } from '../shared/testing.ts';
import type { StepOutcome } from '../shared/workload-reconciler.ts';
import { desiredPod } from './desired.ts';
import { MAX_RESTARTS_REASON, SPEC_HASH_ANNOTATION, processDriver, replaceReason, specHash } from './driver.ts';

const pod = (hash: string, phase: string): V1Pod => ({
  metadata: { annotations: { [SPEC_HASH_ANNOTATION]: hash } },
  status: { phase },
});

test('a pod is kept while its spec is current and it runs', () => {
  assert.equal(replaceReason(pod('h', 'Running'), 'h', 'Always'), undefined);
  assert.equal(replaceReason(pod('h', 'Pending'), 'h', 'OnFailure'), undefined);
});

test('a spec change replaces the pod (pods cannot be updated in place)', () => {
  assert.equal(replaceReason(pod('old', 'Running'), 'new', 'Always'), 'the spec changed');
});

test('a finished pod is replaced according to the restart policy', () => {
  assert.equal(replaceReason(pod('h', 'Succeeded'), 'h', 'Always'), 'the process exited');
  assert.equal(replaceReason(pod('h', 'Succeeded'), 'h', 'OnFailure'), undefined);
  assert.equal(replaceReason(pod('h', 'Failed'), 'h', 'OnFailure'), 'the process failed');
  assert.equal(replaceReason(pod('h', 'Failed'), 'h', 'Never'), undefined);
});

test('the spec hash ignores the epoch, so a failover replaces no pod', () => {
  const cr = {
    kind: 'WorkloadProcess' as const,
    metadata: meta('p'),
    spec: { image: 'i', script: { commands: ['x'] } },
  };
  assert.equal(specHash(desiredPod(cr, 1)), specHash(desiredPod(cr, 2)));
  assert.notEqual(specHash(desiredPod(cr, 1)), specHash(desiredPod({ ...cr, spec: { ...cr.spec, image: 'j' } }, 1)));
});

/** A process driver over an in-memory pod cache, recording writes. */
function drive(maxRestarts: number | undefined) {
  const pods = new Map<string, V1Pod>();
  const calls: string[] = [];
  const writer: ChildWriter = {
    create: <T extends KubernetesObject>(o: T) => {
      const p = o as V1Pod;
      calls.push(`create ${p.metadata?.name}`);
      pods.set(`ns/${p.metadata?.name}`, {
        ...p,
        status: { phase: 'Running', containerStatuses: [{ name: 'main', restartCount: 0 } as never] },
      });
      return Promise.resolve(o);
    },
    apply: () => Promise.reject(new Error('a process pod is never applied')),
    patch: (o) => {
      calls.push(`stamp ${o.metadata?.name}`);
      return Promise.resolve(o);
    },
    delete: (o) => {
      calls.push(`delete ${o.metadata?.name}`);
      pods.delete(`ns/${o.metadata?.name}`);
      return Promise.resolve();
    },
  };
  const cache = { get: (k: string) => pods.get(k), list: () => [...pods.values()], hasSynced: () => true };
  const driver = processDriver(cache, writer);
  const cr = {
    apiVersion: 'highlander.plexobject.io/v1' as const,
    kind: 'WorkloadProcess' as const,
    metadata: meta('p'),
    spec: {
      image: 'i',
      script: { commands: ['x'] },
      restartPolicy: 'OnFailure' as const,
      ...(maxRestarts === undefined ? {} : { maxRestarts }),
    },
  };
  const pass = async () => {
    const did: StepOutcome[] = [];
    for (const step of driver.steps(cr, unguarded(1))) did.push(...[await step()].flat());
    return { did, observed: driver.observe(cr) };
  };
  const restart = (n: number) => (pods.get('ns/p-pod')!.status!.containerStatuses![0]!.restartCount = n);
  return { pods, calls, pass, restart, cr };
}

test('maxRestarts: restarts up to the limit are allowed; one more stops the process until the spec changes', async () => {
  const d = drive(2);
  await d.pass();
  assert.deepEqual(d.calls, ['create p-pod']);
  d.restart(2);
  const within = await d.pass();
  assert.equal(within.observed.phase, 'Running');
  assert.deepEqual(d.calls, ['create p-pod']);

  d.restart(3);
  const over = await d.pass();
  assert.equal(over.did[0]?.reason, 'GaveUp');
  assert.match(over.did[0]?.message ?? '', /^pod p-pod: 3 restarts, more than maxRestarts \(2\)/);
  assert.deepEqual(d.calls, ['create p-pod', 'stamp p-pod', 'delete p-pod']);
  assert.equal(over.observed.stalled?.reason, MAX_RESTARTS_REASON);
  assert.equal(over.observed.phase, 'Failed');
  // The pod's deletion brings the CR back (the cache may not show our status yet): no new pod.
  const after = await d.pass();
  assert.deepEqual(d.calls, ['create p-pod', 'stamp p-pod', 'delete p-pod']);
  assert.equal(after.observed.stalled?.reason, MAX_RESTARTS_REASON);
  assert.match(after.observed.message, /gave up after 3 restarts/);
});

test('without maxRestarts the process restarts forever', async () => {
  const d = drive(undefined);
  await d.pass();
  d.restart(500);
  const r = await d.pass();
  assert.equal(r.observed.phase, 'Running');
  assert.deepEqual(d.calls, ['create p-pod']);
});

test('a pod left by a deleted WorkloadProcess of this name is replaced; one another controller owns is refused', async () => {
  const d = drive(undefined);
  await d.pass();
  const pod = d.pods.get('ns/p-pod')!;
  const ownedBy = (kind: string, uid: string) => [
    { apiVersion: 'highlander.plexobject.io/v1', kind, name: 'p', uid, controller: true },
  ];
  pod.metadata!.ownerReferences = ownedBy('WorkloadProcess', 'uid-of-a-deleted-p');
  const r = await d.pass();
  assert.equal(r.did[0]?.reason, 'Replacing');
  assert.match(r.did[0]?.message ?? '', /left by a deleted WorkloadProcess of this name/);
  assert.deepEqual(d.calls, ['create p-pod', 'stamp p-pod', 'delete p-pod']);

  await d.pass();
  d.pods.get('ns/p-pod')!.metadata!.ownerReferences = ownedBy('WorkloadCronJob', 'x');
  await assert.rejects(d.pass(), /pod ns\/p-pod exists and is controlled by WorkloadCronJob p/);
  assert.deepEqual(d.calls, ['create p-pod', 'stamp p-pod', 'delete p-pod', 'create p-pod']);
});
