import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { KubeConfig } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Log, Logger } from './logger.ts';
import { FakeClock } from './fake-clock.ts';
import type { InformerOptions, ListResult, WatchFn } from './informer-options.ts';
import { Informer } from './informer.ts';

// pino's logger must fit the informer's logger interface (checked by the compiler).
const _pinoFits = (l: Logger): Log => l;
void _pinoFits;

function obj(name: string, rv: string): KubernetesObject {
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'ns', resourceVersion: rv } };
}

interface FakeWatchCall {
  query: Record<string, string | number | boolean | undefined>;
  aborted: boolean;
  event(type: string, o: unknown): void;
  end(err?: unknown): void;
  /** Resolves the request when it was made to hang (a frozen server that never answers). */
  connect(): void;
}

function fakeWatch(): {
  fn: WatchFn;
  calls: FakeWatchCall[];
  hangNext: { value: boolean };
  rejectNext: { value: Error | undefined };
} {
  const calls: FakeWatchCall[] = [];
  const hangNext = { value: false };
  const rejectNext: { value: Error | undefined } = { value: undefined };
  const fn: WatchFn = (_path, query, onEvent, onDone) => {
    if (rejectNext.value) {
      const err = rejectNext.value;
      rejectNext.value = undefined;
      return Promise.reject(err);
    }
    let connect: () => void = () => undefined;
    const call: FakeWatchCall = {
      query,
      aborted: false,
      event: (type, o) => onEvent(type, o),
      end: (err) => onDone(err ?? null),
      connect: () => connect(),
    };
    calls.push(call);
    const handle = { abort: () => void (call.aborted = true) };
    if (!hangNext.value) return Promise.resolve(handle);
    hangNext.value = false;
    return new Promise((resolve) => (connect = () => resolve(handle)));
  };
  return { fn, calls, hangNext, rejectNext };
}

interface Harness {
  clock: FakeClock;
  informer: Informer<KubernetesObject>;
  watch: ReturnType<typeof fakeWatch>;
  events: string[];
  warnings: string[];
  lists: { value: number };
  /** What the next lists return (the last one repeats) or throw. */
  listResults: (ListResult<KubernetesObject> | Error)[];
  lastCall(): FakeWatchCall;
}

function harness(opts: Partial<InformerOptions<KubernetesObject>> = {}): Harness {
  const clock = new FakeClock();
  const watch = fakeWatch();
  const events: string[] = [];
  const warnings: string[] = [];
  const lists = { value: 0 };
  const listResults: (ListResult<KubernetesObject> | Error)[] = [{ items: [], metadata: { resourceVersion: '10' } }];
  const log: Log = {
    warn: (_o, msg) => warnings.push(msg),
    info: () => undefined,
    debug: () => undefined,
    error: () => undefined,
  };
  const informer = new Informer<KubernetesObject>({
    kubeConfig: new KubeConfig(),
    path: '/api/v1/namespaces/ns/configmaps',
    name: 'cms',
    clock,
    log,
    random: () => 0,
    watchTimeoutSeconds: [300, 600],
    stallMarginMs: 60_000,
    watch: watch.fn,
    list: () => {
      lists.value += 1;
      const next = listResults.length > 1 ? listResults.shift() : listResults[0];
      return next instanceof Error ? Promise.reject(next) : Promise.resolve(next ?? { items: [] });
    },
    ...opts,
  });
  const rv = (o: KubernetesObject): string => o.metadata?.resourceVersion ?? '';
  informer.on({
    add: (o) => events.push(`add ${o.metadata?.name}@${rv(o)}`),
    update: (o, n) => events.push(`update ${n.metadata?.name}@${rv(o)}->${rv(n)}`),
    delete: (o) => events.push(`delete ${o.metadata?.name}@${rv(o)}`),
  });
  const lastCall = (): FakeWatchCall => {
    const c = watch.calls.at(-1);
    assert.ok(c, 'no watch was started');
    return c;
  };
  return { clock, informer, watch, events, warnings, lists, listResults, lastCall };
}

describe('Informer', () => {
  test('lists, syncs, then watches from the list resourceVersion with bookmarks and a server timeout', async () => {
    const h = harness({ labelSelector: 'app=x' });
    h.listResults.splice(0, 1, { items: [obj('a', '5')], metadata: { resourceVersion: '10' } });
    const synced = h.informer.waitForSync();
    h.informer.start();
    await h.clock.advance(0);
    assert.equal(await synced, true);
    assert.equal(h.informer.hasSynced(), true);
    assert.deepEqual(h.events, ['add a@5']);
    assert.equal(h.informer.get('ns/a')?.metadata?.resourceVersion, '5');
    assert.deepEqual(h.lastCall().query, {
      allowWatchBookmarks: true,
      timeoutSeconds: 300,
      resourceVersion: '10',
      labelSelector: 'app=x',
    });
    await h.informer.stop();
    assert.equal(h.lastCall().aborted, true, 'stop() closes the watch');
  });

  test('watch events update the cache; updates carry the old object; bookmarks only move the resourceVersion', async () => {
    const h = harness();
    h.informer.start();
    await h.clock.advance(0);
    const w = h.lastCall();
    w.event('ADDED', obj('a', '11'));
    w.event('MODIFIED', obj('a', '12'));
    w.event('MODIFIED', obj('a', '12'));
    w.event('ADDED', obj('b', '13'));
    w.event('DELETED', obj('b', '14'));
    w.event('BOOKMARK', { kind: 'ConfigMap', metadata: { resourceVersion: '20' } });
    assert.deepEqual(h.events, ['add a@11', 'update a@11->12', 'add b@13', 'delete b@14']);
    assert.deepEqual(
      h.informer.list().map((o) => o.metadata?.name),
      ['a'],
    );
    assert.equal(h.informer.lastSyncResourceVersion(), '20');
    await h.informer.stop();
  });

  test('a watch that ends normally is resumed at once from the last resourceVersion, without a list', async () => {
    const h = harness();
    h.informer.start();
    await h.clock.advance(0);
    h.lastCall().event('BOOKMARK', { metadata: { resourceVersion: '42' } });
    await h.clock.advance(300_000);
    h.lastCall().end();
    await h.clock.advance(0);
    assert.equal(h.watch.calls.length, 2);
    assert.equal(h.lastCall().query.resourceVersion, '42');
    assert.equal(h.lists.value, 1);
    assert.deepEqual(h.informer.stats(), { watches: 2, relists: 0, restarts: 0, stalls: 0, lastError: undefined });
    await h.informer.stop();
  });

  test('410 Gone re-lists at once: vanished objects are deleted, changed ones updated', async () => {
    const h = harness();
    h.listResults.splice(
      0,
      1,
      { items: [obj('a', '1'), obj('b', '2')], metadata: { resourceVersion: '10' } },
      {
        items: [obj('a', '25'), obj('c', '30')],
        metadata: { resourceVersion: '31' },
      },
    );
    h.informer.start();
    await h.clock.advance(0);
    h.lastCall().event('ERROR', { kind: 'Status', code: 410, reason: 'Expired', message: 'too old resource version' });
    await h.clock.advance(0);
    assert.equal(h.lists.value, 2);
    assert.deepEqual(h.events, ['add a@1', 'add b@2', 'add c@30', 'update a@1->25', 'delete b@2']);
    assert.equal(h.lastCall().query.resourceVersion, '31');
    assert.equal(h.informer.stats().relists, 1);
    // A 410 as the HTTP status of the watch request does the same, but right after a re-list
    // (no event in between) it means the list is stale at once: back off before the next one.
    h.lastCall().end(Object.assign(new Error('Gone'), { statusCode: 410 }));
    await h.clock.advance(199);
    assert.equal(h.lists.value, 2);
    await h.clock.advance(1);
    assert.equal(h.lists.value, 3);
    await h.informer.stop();
  });

  test('any other watch error is retried with growing backoff from the same resourceVersion, forever', async () => {
    const h = harness();
    h.informer.start();
    await h.clock.advance(0);
    for (const [i, delay] of [200, 400, 800, 1600].entries()) {
      h.lastCall().end(new Error(`connection reset ${i}`));
      await h.clock.advance(delay - 1);
      assert.equal(h.watch.calls.length, i + 1, `retry ${i + 1} waits ${delay} ms`);
      await h.clock.advance(1);
      assert.equal(h.watch.calls.length, i + 2);
      assert.equal(h.lastCall().query.resourceVersion, '10');
    }
    const s = h.informer.stats();
    assert.equal(s.restarts, 4);
    assert.equal(s.relists, 0);
    assert.match(String(s.lastError), /connection reset 3/);
    assert.equal(h.warnings.length, 4, 'every failure is logged');
    // An event means the connection works again: the backoff starts over.
    h.lastCall().event('ADDED', obj('a', '11'));
    h.lastCall().end(new Error('reset again'));
    await h.clock.advance(200);
    assert.equal(h.watch.calls.length, 6);
    await h.informer.stop();
  });

  test('a watch request that throws before connecting, and an ERROR event other than 410, are retried', async () => {
    const h = harness();
    h.watch.rejectNext.value = new Error('exec credential plugin failed');
    h.informer.start();
    await h.clock.advance(200);
    assert.equal(h.watch.calls.length, 1, 'the retry connected');
    h.lastCall().event('ERROR', { kind: 'Status', code: 500, message: 'internal error' });
    await h.clock.advance(400);
    assert.equal(h.watch.calls.length, 2);
    assert.equal(h.lists.value, 1);
    assert.match(String(h.informer.stats().lastError), /500/);
    await h.informer.stop();
  });

  test('a failed list is retried with backoff; the informer syncs once it succeeds', async () => {
    const h = harness();
    h.listResults.splice(0, 1, new Error('connection refused'), new Error('connection refused'), {
      items: [obj('a', '1')],
      metadata: { resourceVersion: '10' },
    });
    h.informer.start();
    await h.clock.advance(0);
    assert.equal(h.informer.hasSynced(), false);
    await h.clock.advance(200);
    assert.equal(h.lists.value, 2);
    await h.clock.advance(399);
    assert.equal(h.lists.value, 2);
    await h.clock.advance(1);
    assert.equal(h.informer.hasSynced(), true);
    assert.equal(h.watch.calls.length, 1);
    assert.equal(h.informer.stats().restarts, 2);
    assert.equal(h.informer.stats().relists, 0, 'retries of the first list are not re-lists');
    await h.informer.stop();
  });

  test('a list that never answers is abandoned after listTimeoutMs and retried, its signal aborted', async () => {
    const signals: AbortSignal[] = [];
    let calls = 0;
    const never = harness({
      listTimeoutMs: 5_000,
      list: ({ signal }) => {
        calls += 1;
        signals.push(signal);
        return calls === 1
          ? new Promise(() => undefined)
          : Promise.resolve({ items: [], metadata: { resourceVersion: '7' } });
      },
    });
    never.informer.start();
    await never.clock.advance(4_999);
    assert.equal(calls, 1);
    await never.clock.advance(1 + 200);
    assert.equal(calls, 2);
    assert.equal(signals[0]?.aborted, true);
    assert.equal(never.informer.hasSynced(), true);
    assert.match(String(never.informer.stats().lastError), /list did not answer within 5000 ms/);
    await never.informer.stop();
  });

  test('a silent watch is aborted after its timeout plus the margin, counted as a stall, and restarted', async () => {
    const h = harness({ watchTimeoutSeconds: [10, 10], stallMarginMs: 1_000 });
    h.informer.start();
    await h.clock.advance(0);
    await h.clock.advance(5_000);
    h.lastCall().event('BOOKMARK', { metadata: { resourceVersion: '15' } }); // activity re-arms the watchdog
    await h.clock.advance(10_999);
    assert.equal(h.informer.stats().stalls, 0);
    await h.clock.advance(1);
    assert.equal(h.informer.stats().stalls, 1);
    assert.equal(h.watch.calls[0]?.aborted, true);
    await h.clock.advance(200);
    assert.equal(h.watch.calls.length, 2);
    assert.equal(h.lastCall().query.resourceVersion, '15');
    assert.match(String(h.informer.stats().lastError), /watch stalled: silent for 11000 ms/);
    await h.informer.stop();
  });

  test('a watch request that hangs before connecting stalls too; when it connects late it is closed and ignored', async () => {
    const h = harness({ watchTimeoutSeconds: [1, 1], stallMarginMs: 500 });
    h.informer.start();
    await h.clock.advance(0);
    h.lastCall().end(); // a very short watch: retried after backoff, and the next request hangs
    h.watch.hangNext.value = true;
    await h.clock.advance(200);
    const hung = h.lastCall();
    await h.clock.advance(1_500);
    assert.equal(h.informer.stats().stalls, 1);
    await h.clock.advance(400);
    assert.equal(h.watch.calls.length, 3, 'a new watch after the stall');
    hung.connect();
    await h.clock.advance(0);
    assert.equal(hung.aborted, true, 'the late connection is closed');
    hung.event('ADDED', obj('ghost', '99'));
    assert.equal(h.informer.get('ns/ghost'), undefined, 'events of an abandoned watch are ignored');
    await h.informer.stop();
  });

  test('a watch that ends at once without events is a failure (very short watch), not a tight loop', async () => {
    const h = harness();
    h.informer.start();
    await h.clock.advance(0);
    h.lastCall().end();
    await h.clock.advance(199);
    assert.equal(h.watch.calls.length, 1);
    await h.clock.advance(1);
    assert.equal(h.watch.calls.length, 2);
    assert.match(String(h.informer.stats().lastError), /very short watch/);
    await h.informer.stop();
  });

  test('a throwing handler is logged and does not stop the others nor the informer', async () => {
    const h = harness();
    const seen: string[] = [];
    h.informer.on({
      add: () => {
        throw new Error('handler bug');
      },
    });
    h.informer.on({ add: (o) => seen.push(o.metadata?.name ?? '') });
    h.informer.start();
    await h.clock.advance(0);
    h.lastCall().event('ADDED', obj('a', '11'));
    h.lastCall().event('ADDED', obj('b', '12'));
    assert.deepEqual(seen, ['a', 'b']);
    assert.deepEqual(h.events, ['add a@11', 'add b@12']);
    assert.equal(h.warnings.filter((w) => /add handler threw/.test(w)).length, 2);
    await h.informer.stop();
  });

  test('a late handler gets the cached objects replayed as adds; a removed handler hears nothing more', async () => {
    const h = harness();
    h.listResults.splice(0, 1, { items: [obj('a', '1'), obj('b', '2')], metadata: { resourceVersion: '10' } });
    h.informer.start();
    await h.clock.advance(0);
    const late: string[] = [];
    const off = h.informer.on({ add: (o) => late.push(o.metadata?.name ?? '') });
    assert.deepEqual(late, ['a', 'b']);
    off();
    h.lastCall().event('ADDED', obj('c', '11'));
    assert.deepEqual(late, ['a', 'b']);
    await h.informer.stop();
  });

  test('waitForSync resolves false when the informer stops first; start twice is refused', async () => {
    const h = harness();
    h.listResults.splice(0, 1, new Error('down'));
    h.informer.start();
    const synced = h.informer.waitForSync();
    await h.clock.advance(1_000);
    await h.informer.stop();
    assert.equal(await synced, false);
    assert.throws(() => h.informer.start(), /informer cms: already started/);
  });

  test('invalid settings are refused, naming the setting', () => {
    const base = {
      kubeConfig: new KubeConfig(),
      path: '/api/v1/pods',
      name: 'pods',
      list: () => Promise.resolve({ items: [] }),
    };
    assert.throws(
      () => new Informer({ ...base, watchTimeoutSeconds: [10, 5] }),
      /informer pods: watchTimeoutSeconds\[1\] \(5\)/,
    );
    assert.throws(() => new Informer({ ...base, path: 'api/v1/pods' }), /path \(api\/v1\/pods\) must start with \//);
  });
});
