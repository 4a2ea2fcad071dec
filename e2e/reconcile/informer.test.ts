// The informer against the real API server: it fills its cache, follows changes with the old
// object on update, resumes ended watches without re-listing or missing anything, and recovers on
// its own from a frozen API server, counting the stall its watchdog detects.
//
// Freezing (SIGSTOP) the shared API server is kept short (≤ 4 s) and always undone: other tests
// use this cluster too.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { CoreV1Api, Watch } from '@kubernetes/client-node';
import type { V1ConfigMap } from '@kubernetes/client-node';
import type { InformerOptions, WatchFn } from '../../runtime/informer-options.ts';
import type { Log } from '../../runtime/logger.ts';
import { Informer } from '../../runtime/informer.ts';
import { createTestNamespace, loadKubeConfig, repoRoot, waitFor } from '../../testkit/kube.ts';
import type { TestNamespace } from '../../testkit/kube.ts';

const kc = loadKubeConfig();
const core = kc.makeApiClient(CoreV1Api);
const apiServerPidFile = `${repoRoot}.cluster/cluster/pids/kube-apiserver.pid`;
let ns: TestNamespace;

before(async () => {
  // A run killed mid-freeze would have left the API server stopped; resuming a running one is harmless.
  process.kill(apiServerPid(), 'SIGCONT');
  ns = await createTestNamespace(kc, 'informer');
});
after(async () => {
  await ns?.remove();
});

function apiServerPid(): number {
  return Number(readFileSync(apiServerPidFile, 'utf8').trim());
}

/**
 * Freezes the API server for `ms` (its connections hang, as in a network partition), runs
 * `during` meanwhile, and always thaws it, even if the process exits in between.
 */
async function freezeApiServer(ms: number, during: () => void = () => undefined): Promise<void> {
  assert.ok(ms <= 5_000, 'keep freezes of the shared API server short');
  const pid = apiServerPid();
  const thaw = (): void => void process.kill(pid, 'SIGCONT');
  process.once('exit', thaw);
  process.kill(pid, 'SIGSTOP');
  try {
    during();
    await sleep(ms);
  } finally {
    thaw();
    process.removeListener('exit', thaw);
  }
}

/** An informer on this test's ConfigMaps (selected by label), recording its events and warnings. */
function configMapInformer(label: string, opts: Partial<InformerOptions<V1ConfigMap>> = {}) {
  const events: string[] = [];
  const updates: [V1ConfigMap, V1ConfigMap][] = [];
  const warnings: string[] = [];
  let lists = 0;
  const log: Log = {
    warn: (_o, msg) => warnings.push(msg),
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
  };
  const informer = new Informer<V1ConfigMap>({
    kubeConfig: kc,
    name: `cm-${label}`,
    path: `/api/v1/namespaces/${ns.name}/configmaps`,
    labelSelector: `test=${label}`,
    list: ({ labelSelector }) => {
      lists += 1;
      return core.listNamespacedConfigMap({ namespace: ns.name, labelSelector });
    },
    log,
    ...opts,
  });
  informer.on({
    add: (o) => events.push(`add ${o.metadata?.name}`),
    update: (o, n) => {
      events.push(`update ${n.metadata?.name}`);
      updates.push([o, n]);
    },
    delete: (o) => events.push(`delete ${o.metadata?.name}`),
  });
  /** Waits until the cache holds `name`. */
  const cached = (name: string, what = `${name} in the cache`, timeoutMs = 30_000): Promise<V1ConfigMap> =>
    waitFor(async () => Promise.resolve(informer.get(`${ns.name}/${name}`)), { what, timeoutMs, intervalMs: 50 });
  return { informer, events, updates, warnings, cached, lists: () => lists };
}

function create(label: string, name: string, data: Record<string, string> = {}): Promise<V1ConfigMap> {
  return core.createNamespacedConfigMap({
    namespace: ns.name,
    body: { metadata: { name, labels: { test: label } }, data },
  });
}

describe('informer on a real API server', () => {
  test('the first list fills the cache and marks it synced', { timeout: 60_000 }, async () => {
    await create('list', 'one');
    await create('list', 'two');
    await create('other', 'not-mine');
    const { informer, events } = configMapInformer('list');
    try {
      informer.start();
      assert.equal(await informer.waitForSync(AbortSignal.timeout(30_000)), true);
      assert.equal(informer.hasSynced(), true);
      assert.deepEqual(
        informer
          .list()
          .map((o) => o.metadata?.name)
          .sort(),
        ['one', 'two'],
        'only the selected objects',
      );
      assert.deepEqual([...events].sort(), ['add one', 'add two']);
      assert.ok(informer.lastSyncResourceVersion(), 'the list resourceVersion is kept');
    } finally {
      await informer.stop();
    }
  });

  test('creates, updates and deletes arrive; an update carries the old object', { timeout: 60_000 }, async () => {
    const { informer, events, updates, cached } = configMapInformer('crud');
    try {
      informer.start();
      await informer.waitForSync(AbortSignal.timeout(30_000));
      await create('crud', 'x', { v: '1' });
      await cached('x');
      await core.patchNamespacedConfigMap({
        name: 'x',
        namespace: ns.name,
        body: [{ op: 'replace', path: '/data/v', value: '2' }],
      });
      await waitFor(async () => Promise.resolve(updates.length > 0 ? true : undefined), {
        what: 'an update',
        timeoutMs: 30_000,
      });
      const [old, now] = updates[0] ?? [];
      assert.equal(old?.data?.v, '1');
      assert.equal(now?.data?.v, '2');
      assert.equal(informer.get(`${ns.name}/x`)?.data?.v, '2');
      await core.deleteNamespacedConfigMap({ name: 'x', namespace: ns.name });
      await waitFor(async () => Promise.resolve(informer.get(`${ns.name}/x`) ? undefined : true), {
        what: 'x deleted',
        timeoutMs: 30_000,
      });
      assert.deepEqual(events, ['add x', 'update x', 'delete x']);
    } finally {
      await informer.stop();
    }
  });

  test(
    'an ended watch is resumed without a re-list and misses nothing created in between',
    { timeout: 60_000 },
    async () => {
      // The second watch request first creates a ConfigMap: it exists after the first watch
      // ended and before the next one began, so only resuming from the right resourceVersion sees it.
      const real = new Watch(kc);
      let watchCalls = 0;
      const watch: WatchFn = async (path, query, onEvent, onDone) => {
        watchCalls += 1;
        if (watchCalls === 2) await create('resume', 'between');
        return real.watch(path, query, onEvent, onDone);
      };
      const { informer, cached, lists, warnings } = configMapInformer('resume', { watchTimeoutSeconds: [1, 2], watch });
      try {
        informer.start();
        await informer.waitForSync(AbortSignal.timeout(30_000));
        await cached('between');
        await waitFor(async () => Promise.resolve(informer.stats().watches >= 3 ? true : undefined), {
          what: 'a third watch',
          timeoutMs: 30_000,
        });
        await create('resume', 'later');
        await cached('later');
        const s = informer.stats();
        assert.equal(lists(), 1, 'listed once');
        assert.equal(s.relists, 0);
        assert.equal(s.restarts, 0, `no failure: ${warnings.join('; ')}`);
      } finally {
        await informer.stop();
      }
    },
  );

  test(
    'a frozen API server: the informer recovers on its own and sees the changes made after',
    { timeout: 90_000 },
    async () => {
      const { informer, cached } = configMapInformer('outage', { watchTimeoutSeconds: [1, 2] });
      try {
        informer.start();
        await informer.waitForSync(AbortSignal.timeout(30_000));
        await create('outage', 'before');
        await cached('before');
        let during: Promise<V1ConfigMap> | undefined;
        // A write sent while the server is frozen completes once it thaws.
        await freezeApiServer(3_000, () => {
          during = create('outage', 'during');
        });
        const watchesAtThaw = informer.stats().watches;
        await during;
        await create('outage', 'after');
        await cached('during');
        await cached('after');
        assert.ok(informer.stats().watches > watchesAtThaw, 'watching went on after the thaw');
      } finally {
        await informer.stop();
      }
    },
  );

  test('a watch gone silent is detected as a stall, counted, and restarted', { timeout: 90_000 }, async () => {
    // A 1 s server-side timeout plus a 1 s margin: 2 s without any sign of life is a stall.
    const { informer, cached } = configMapInformer('stall', { watchTimeoutSeconds: [1, 1], stallMarginMs: 1_000 });
    try {
      informer.start();
      await informer.waitForSync(AbortSignal.timeout(30_000));
      const before = informer.stats().stalls;
      await freezeApiServer(3_500);
      const s = informer.stats();
      assert.ok(s.stalls > before, `a stall was detected (stalls ${s.stalls})`);
      assert.match(String(s.lastError), /watch stalled/);
      await create('stall', 'after-stall');
      await cached('after-stall');
    } finally {
      await informer.stop();
    }
  });
});
