import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { KubernetesObject } from '@kubernetes/client-node';
import { InformerGroup } from './informer-group.ts';
import type { GroupMember } from './informer-group.ts';
import type { InformerHandlers } from './types.ts';

/** An in-memory member: a namespace's cache that syncs when told to. */
function member(ns: string, names: string[]) {
  const objs = new Map(names.map((n) => [`${ns}/${n}`, { metadata: { namespace: ns, name: n } }]));
  const handlers = new Set<InformerHandlers<KubernetesObject>>();
  let synced = false;
  let started = 0;
  const waiters: ((ok: boolean) => void)[] = [];
  const m: GroupMember<KubernetesObject> & { sync(): void; add(n: string): void; started(): number } = {
    name: ns,
    start: () => void (started += 1),
    stop: () => Promise.resolve(),
    hasSynced: () => synced,
    waitForSync: () => (synced ? Promise.resolve(true) : new Promise((r) => waiters.push(r))),
    get: (k) => objs.get(k),
    list: () => [...objs.values()],
    on: (h) => {
      handlers.add(h);
      return () => handlers.delete(h);
    },
    sync: () => {
      synced = true;
      waiters.splice(0).forEach((w) => w(true));
    },
    add: (n) => {
      const o = { metadata: { namespace: ns, name: n } };
      objs.set(`${ns}/${n}`, o);
      handlers.forEach((h) => h.add?.(o));
    },
    started: () => started,
  };
  return m;
}

test('a group reads, syncs and notifies as one cache over its namespaces', async () => {
  const a = member('a', ['x', 'y']);
  const b = member('b', ['x']);
  const g = new InformerGroup('pods', [a, b]);
  g.start();
  assert.deepEqual([a.started(), b.started()], [1, 1]);
  assert.deepEqual(
    g
      .list()
      .map((o) => `${o.metadata?.namespace}/${o.metadata?.name}`)
      .sort(),
    ['a/x', 'a/y', 'b/x'],
  );
  assert.equal(g.get('b/x')?.metadata?.namespace, 'b');
  assert.equal(g.get('c/x'), undefined);

  assert.equal(g.hasSynced(), false);
  const synced = g.waitForSync();
  a.sync();
  assert.equal(g.hasSynced(), false, 'one member synced is not the group synced');
  b.sync();
  assert.equal(await synced, true);
  assert.equal(g.hasSynced(), true);

  const seen: string[] = [];
  const off = g.on({ add: (o) => seen.push(`${o.metadata?.namespace}/${o.metadata?.name}`) });
  a.add('z');
  b.add('z');
  off();
  a.add('after-off');
  assert.deepEqual(seen, ['a/z', 'b/z']);
});

test('a group needs a member', () => {
  assert.throws(() => new InformerGroup('pods', []), /pods: needs at least one member/);
});
