// Config-file sync writes under the rules every child write follows (scenario 5 of the fencing
// issue: it used to force-apply and delete unconditionally, from the cache): an absent CR is
// created, a drifted one applied at the version seen, an unchanged one restamped, a removed one
// stamped and deleted at the stamped version, and a CR a newer leader wrote is left alone.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Workload, WorkloadKind } from '../../api/types.ts';
import { KINDS } from '../../api/types.ts';
import { KubeApiError } from '../../runtime/kube-client.ts';
import type { ObjectCache } from '../../runtime/types.ts';
import { unguarded } from '../../runtime/write-guard.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { syncConfigWorkloads } from './config-workloads.ts';

type Call = [verb: string, name: string, resourceVersion: string | undefined, epoch: string | undefined];

/** A writer that records each call: verb, name, the resourceVersion it carried, the epoch label. */
function recorder(fail: (verb: string, name: string) => Error | undefined = () => undefined) {
  const calls: Call[] = [];
  const record = (verb: string, o: KubernetesObject, epoch?: string): void => {
    calls.push([verb, o.metadata!.name!, o.metadata?.resourceVersion, epoch ?? o.metadata?.labels?.[EPOCH]]);
    const err = fail(verb, o.metadata!.name!);
    if (err) throw err;
  };
  const writer: ChildWriter = {
    create: <T extends KubernetesObject>(o: T) => (record('create', o), Promise.resolve(o)),
    apply: <T extends KubernetesObject>(o: T) => (record('apply', o), Promise.resolve(o)),
    patch: (o, patch) => {
      record('patch', o, (patch as { metadata: { labels: Record<string, string> } }).metadata.labels[EPOCH]);
      return Promise.resolve({
        ...o,
        metadata: { ...o.metadata, resourceVersion: `${o.metadata?.resourceVersion}+1` },
      });
    },
    delete: (o) => (record('delete', o), Promise.resolve()),
  };
  return { writer, calls };
}

const EPOCH = 'highlander.plexobject.io/epoch';
const config = (names: string[]) => ({
  namespace: 'ns',
  tenant: 't',
  workloads: { processes: names.map((name) => ({ name, image: 'busybox', script: { commands: ['true'] } })) },
});

/** A CR as the cache holds it: from the config, at `epoch`, version `rv`. */
const cached = (name: string, epoch: number, rv: string, image = 'busybox'): Workload =>
  ({
    apiVersion: 'highlander.plexobject.io/v1',
    kind: 'WorkloadProcess',
    metadata: {
      name,
      namespace: 'ns',
      resourceVersion: rv,
      uid: `uid-${name}`,
      labels: {
        'highlander.plexobject.io/source': 'config',
        'highlander.plexobject.io/tenant': 't',
        [EPOCH]: String(epoch),
      },
    },
    spec: { image, script: { commands: ['true'] } },
  }) as unknown as Workload;

function caches(crs: Workload[]): Record<WorkloadKind, ObjectCache<Workload>> {
  const of = (kind: WorkloadKind): ObjectCache<Workload> => {
    const mine = kind === 'WorkloadProcess' ? crs : [];
    return {
      get: (key) => mine.find((c) => `${c.metadata.namespace}/${c.metadata.name}` === key),
      list: () => mine,
      hasSynced: () => true,
    };
  };
  return Object.fromEntries(KINDS.map((k) => [k, of(k)])) as Record<WorkloadKind, ObjectCache<Workload>>;
}

test('config sync: create when absent, apply at the version seen, restamp, stamp-then-delete, never touch a newer epoch', async () => {
  const { writer, calls } = recorder();
  const existing = [
    cached('same', 3, '10'), // unchanged, older epoch: restamped
    cached('drifted', 3, '20', 'busybox:old'), // a field of ours drifted: applied at rv 20
    cached('removed', 3, '30'), // no longer in the file: stamped, then deleted at the stamped version
    cached('newer', 9, '40', 'busybox:other'), // a newer leader wrote it: left alone
  ];
  const result = await syncConfigWorkloads(
    writer,
    unguarded(5),
    config(['absent', 'same', 'drifted', 'newer']),
    caches(existing),
  );
  assert.deepEqual(result, { problems: [], retry: false });
  assert.deepEqual(calls, [
    ['create', 'absent', undefined, '5'],
    ['patch', 'same', '10', '5'],
    ['apply', 'drifted', '20', '5'],
    ['patch', 'removed', '30', '5'],
    ['delete', 'removed', '30+1', '3'],
  ]);
});

test('config sync: a conflict or an unreachable API server is retried; a refusal is a problem naming the CR', async () => {
  const { writer } = recorder((_verb, name) =>
    name === 'conflicted'
      ? new KubeApiError(409, 'Conflict', 'PATCH /x: 409', { message: 'the object has been modified' })
      : name === 'invalid'
        ? new KubeApiError(422, 'Invalid', 'POST /x: 422', { message: 'spec.image: Required value' })
        : undefined,
  );
  const result = await syncConfigWorkloads(
    writer,
    unguarded(5),
    config(['invalid', 'conflicted', 'fine']),
    caches([cached('conflicted', 3, '10', 'busybox:old')]),
  );
  assert.equal(result.retry, true);
  assert.deepEqual(result.problems, ['WorkloadProcess ns/invalid: spec.image: Required value']);
});
