import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Registry } from 'prom-client';
import { FakeClock, flush } from './fake-clock.ts';
import { reconcileMetrics, workqueueMetrics } from './metrics.ts';
import type { WorkQueueOptions } from './workqueue.ts';
import { WorkQueue } from './workqueue.ts';

function setup(opts: WorkQueueOptions = {}): { clock: FakeClock; q: WorkQueue } {
  const clock = new FakeClock();
  return { clock, q: new WorkQueue({ clock, ...opts }) };
}

/** Every key that is ready now, in order, taken without waiting. */
async function drain(q: WorkQueue): Promise<string[]> {
  const out: string[] = [];
  while (q.len() > 0) {
    const key = await q.get();
    if (key !== undefined) out.push(key);
  }
  return out;
}

/** Settles `p` or reports that it is still pending, after letting promise callbacks run. */
async function peek<T>(p: Promise<T>): Promise<{ value: T } | 'pending'> {
  let out: { value: T } | 'pending' = 'pending';
  p.then(
    (value) => (out = { value }),
    (err: unknown) => assert.fail(`unexpected rejection: ${String(err)}`),
  );
  await flush();
  return out;
}

describe('WorkQueue: add and get', () => {
  test('a key added many times before it is taken is handed out once, in FIFO order', async () => {
    const { q } = setup();
    for (const k of ['a', 'b', 'a', 'c', 'b', 'a']) q.add(k);
    assert.equal(q.len(), 3);
    assert.deepEqual(await drain(q), ['a', 'b', 'c']);
    const ac = new AbortController();
    assert.equal(await peek(q.get(ac.signal)), 'pending', 'nothing more to take');
    ac.abort();
  });

  test('a key added while processing is not handed out again until done(), then once', async () => {
    const { q } = setup();
    q.add('a');
    assert.equal(await q.get(), 'a');
    q.add('a');
    q.add('a');
    assert.equal(q.len(), 0, 'a is being processed: not ready');
    const second = q.get();
    assert.equal(await peek(second), 'pending');
    q.done('a');
    assert.deepEqual(await peek(second), { value: 'a' });
    q.done('a');
    assert.equal(q.len(), 0, 'the two adds while processing made one re-queue');
  });

  test('done() without a re-add does not queue the key again', async () => {
    const { q } = setup();
    q.add('a');
    await q.get();
    q.done('a');
    assert.equal(q.len(), 0);
    q.add('a');
    assert.equal(q.len(), 1, 'a done key can be added again');
  });

  test('several waiting workers each get a different key, first waiter first', async () => {
    const { q } = setup();
    const w1 = q.get();
    const w2 = q.get();
    q.add('x');
    assert.deepEqual(await peek(w1), { value: 'x' });
    assert.equal(await peek(w2), 'pending');
    q.add('x');
    assert.equal(await peek(w2), 'pending', 'x is being processed by w1');
    q.add('y');
    assert.deepEqual(await peek(w2), { value: 'y' });
  });

  test('get() wakes on add, and resolves undefined on abort without losing a later key', async () => {
    const { q } = setup();
    const ac = new AbortController();
    const aborted = q.get(ac.signal);
    const waiting = q.get();
    ac.abort();
    assert.deepEqual(await peek(aborted), { value: undefined });
    q.add('k');
    assert.deepEqual(await peek(waiting), { value: 'k' }, 'the key went to the live waiter');
    assert.equal(await q.get(ac.signal), undefined, 'an already aborted signal returns at once');
  });

  test('shutDown releases every waiter, drops queued and delayed keys and ignores later adds', async () => {
    const { clock, q } = setup();
    const waiters = [q.get(), q.get()];
    q.addAfter('later', 1000);
    q.shutDown();
    assert.deepEqual(await Promise.all(waiters), [undefined, undefined]);
    q.add('a');
    q.addRateLimited('b');
    await clock.advance(2000);
    assert.equal(q.len(), 0);
    assert.equal(await q.get(), undefined);
    assert.equal(clock.pending, 0, 'no timer left behind');
    assert.equal(q.isShuttingDown(), true);
  });
});

describe('WorkQueue: addAfter', () => {
  test('a delayed key becomes ready at its time, not before', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 100);
    await clock.advance(99);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.deepEqual(await drain(q), ['a']);
  });

  test('the soonest of several delays for one key wins, and the key comes once', async () => {
    const { clock, q } = setup();
    q.addAfter('a', 500);
    q.addAfter('a', 100);
    q.addAfter('a', 300);
    await clock.advance(100);
    assert.deepEqual(await drain(q), ['a']);
    q.done('a');
    await clock.advance(1000);
    assert.equal(q.len(), 0, 'the superseded 300 ms and 500 ms delays do not fire');
  });

  test('delayed keys come in time order, ties in the order they were added', async () => {
    const { clock, q } = setup();
    q.addAfter('c', 30);
    q.addAfter('a', 10);
    q.addAfter('b', 10);
    q.addAfter('now', 0);
    assert.deepEqual(await drain(q), ['now']);
    await clock.advance(30);
    assert.deepEqual(await drain(q), ['a', 'b', 'c']);
  });

  test('a delayed key that is already queued is not handed out twice', async () => {
    const { clock, q } = setup();
    q.add('a');
    q.addAfter('a', 10);
    await clock.advance(10);
    assert.deepEqual(await drain(q), ['a']);
  });

  test('a waiting worker wakes when a delay expires', async () => {
    const { clock, q } = setup();
    const w = q.get();
    q.addAfter('a', 50);
    await clock.advance(49);
    assert.equal(await peek(w), 'pending');
    await clock.advance(1);
    assert.deepEqual(await peek(w), { value: 'a' });
  });
});

describe('WorkQueue: rate limiting', () => {
  test('per-key backoff doubles from 5 ms and is capped at maxDelay', async () => {
    const { clock, q } = setup({ maxDelayMs: 100 });
    const seen: number[] = [];
    for (let i = 0; i < 7; i += 1) {
      const before = clock.now();
      q.addRateLimited('a');
      while (q.len() === 0) await clock.advance(1);
      seen.push(clock.now() - before);
      await q.get();
      q.done('a');
    }
    assert.deepEqual(seen, [5, 10, 20, 40, 80, 100, 100]);
    assert.equal(q.failures('a'), 7);
  });

  test('forget() resets the backoff of that key only', async () => {
    const { clock, q } = setup();
    for (let i = 0; i < 3; i += 1) {
      q.addRateLimited('a');
      q.addRateLimited('b');
    }
    assert.equal(q.failures('a'), 3);
    q.forget('a');
    assert.equal(q.failures('a'), 0);
    assert.equal(q.failures('b'), 3);
    await clock.advance(100);
    await drain(q);
    q.done('a');
    q.addRateLimited('a');
    await clock.advance(4);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.equal(q.len(), 1, 'back to the 5 ms base delay');
  });

  test('the token bucket lets a burst of 100 through and spaces the rest at 10/s', async () => {
    const { clock, q } = setup();
    for (let i = 0; i < 103; i += 1) q.addRateLimited(`k${i}`);
    await clock.advance(5);
    assert.equal(q.len(), 100, 'the burst waits only for the 5 ms base delay');
    await clock.advance(94);
    assert.equal(q.len(), 100);
    await clock.advance(1);
    assert.equal(q.len(), 101, 'the 101st waits 100 ms for a token');
    await clock.advance(100);
    assert.equal(q.len(), 102);
    await clock.advance(100);
    assert.equal(q.len(), 103);
  });

  test('the bucket refills over time', async () => {
    const { clock, q } = setup({ burst: 2, qps: 10 });
    q.addRateLimited('a');
    q.addRateLimited('b');
    await clock.advance(1000); // two tokens back, at 10/s, capped at the burst of 2
    q.addRateLimited('c');
    q.addRateLimited('d');
    q.addRateLimited('e');
    await clock.advance(5);
    assert.deepEqual(await drain(q), ['a', 'b', 'c', 'd']);
    await clock.advance(94);
    assert.equal(q.len(), 0);
    await clock.advance(1);
    assert.deepEqual(await drain(q), ['e']);
  });

  test('invalid settings are refused, naming the setting', () => {
    assert.throws(() => new WorkQueue({ qps: 0 }), /workqueue: qps \(0\) must be positive/);
    assert.throws(
      () => new WorkQueue({ baseDelayMs: 10, maxDelayMs: 5 }),
      /maxDelayMs \(5\) must be at least baseDelayMs \(10\)/,
    );
  });
});

describe('WorkQueue: metrics', () => {
  async function sample(registry: Registry, metric: string, labels: Record<string, string>): Promise<number> {
    const m = (await registry.getMetricsAsJSON()).find((x) => x.name === metric);
    assert.ok(m, `no metric ${metric}`);
    const values = m.values as { value: number; labels: Record<string, string | number>; metricName?: string }[];
    const hit = values.find(
      (v) =>
        (v.metricName === undefined || v.metricName === metric || v.metricName === `${metric}_count`) &&
        Object.entries(labels).every(([k, l]) => v.labels[k] === l),
    );
    return hit?.value ?? NaN;
  }

  test('the observer feeds controller-runtime workqueue metrics, one label per queue', async () => {
    const registry = new Registry();
    const clock = new FakeClock();
    const q = new WorkQueue({ clock, observer: workqueueMetrics(registry, 'pods') });
    const other = new WorkQueue({ clock, observer: workqueueMetrics(registry, 'nodes') });
    q.add('a');
    q.add('a');
    q.add('b');
    assert.equal(await sample(registry, 'workqueue_depth', { name: 'pods' }), 2);
    assert.equal(await sample(registry, 'workqueue_adds_total', { name: 'pods' }), 2, 'a duplicate add is not counted');
    await clock.advance(250);
    await q.get();
    await clock.advance(1500);
    q.done('a');
    q.addRateLimited('a');
    assert.equal(await sample(registry, 'workqueue_depth', { name: 'pods' }), 1);
    assert.equal(await sample(registry, 'workqueue_retries_total', { name: 'pods' }), 1);
    assert.equal(await sample(registry, 'workqueue_queue_duration_seconds', { name: 'pods' }), 1, 'one latency sample');
    const text = await registry.metrics();
    assert.match(text, /workqueue_queue_duration_seconds_sum\{name="pods"\} 0\.25\b/);
    assert.match(text, /workqueue_work_duration_seconds_sum\{name="pods"\} 1\.5\b/);
    assert.equal(await sample(registry, 'workqueue_adds_total', { name: 'nodes' }), 0);
    other.shutDown();
  });

  test('reconcile metrics count results, errors and workers per controller', async () => {
    const registry = new Registry();
    const m = reconcileMetrics(registry, 'wp');
    reconcileMetrics(registry, 'other');
    m.workerStarted();
    m.workerStarted();
    m.workerStopped();
    m.reconciled({ outcome: 'success', ms: 20 });
    m.reconciled({ outcome: 'error', ms: 10, terminal: true });
    m.reconciled({ outcome: 'requeue_after', ms: 10 });
    assert.equal(await sample(registry, 'controller_runtime_active_workers', { controller: 'wp' }), 1);
    assert.equal(
      await sample(registry, 'controller_runtime_reconcile_total', { controller: 'wp', result: 'success' }),
      1,
    );
    assert.equal(
      await sample(registry, 'controller_runtime_reconcile_total', { controller: 'wp', result: 'requeue' }),
      0,
    );
    assert.equal(await sample(registry, 'controller_runtime_reconcile_errors_total', { controller: 'wp' }), 1);
    assert.equal(await sample(registry, 'controller_runtime_terminal_reconcile_errors_total', { controller: 'wp' }), 1);
    assert.equal(await sample(registry, 'controller_runtime_reconcile_time_seconds', { controller: 'wp' }), 3);
    assert.equal(await sample(registry, 'controller_runtime_reconcile_errors_total', { controller: 'other' }), 0);
  });
});
