import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { StoreHealth } from './store-health.ts';
import type { StoreOutcome } from './store-health.ts';

test('a run of failures is counted and timed from its first call, and ends at the next success', async () => {
  const clock = new FakeClock();
  const raw = new MemoryLock(clock).client();
  const health = new StoreHealth(() => clock.now());
  const outcomes: StoreOutcome[] = [];
  health.onOutcome((o) => outcomes.push(o));
  const store = health.watch(raw);
  assert.deepEqual([health.reachable, health.consecutiveFailures, health.lastSuccessAt], [false, 0, null]);

  await store.read();
  const firstSuccess = clock.now();
  raw.down();
  await clock.advance(1000);
  await assert.rejects(store.read());
  const firstFailure = clock.now();
  await clock.advance(2500);
  await assert.rejects(store.tryAcquire('a', 1000));
  assert.deepEqual(
    [health.reachable, health.consecutiveFailures, health.failingForMs(), health.lastSuccessAt],
    [false, 2, 2500, firstSuccess],
  );
  assert.equal(health.lastFailureAt, firstFailure + 2500);
  assert.match(health.lastError, /memory/i);

  raw.down(false);
  await store.read();
  assert.deepEqual([health.reachable, health.consecutiveFailures, health.failingForMs()], [true, 0, 0]);
  assert.deepEqual(
    outcomes.map((o) => [o.ok, o.failuresBefore]),
    [
      [true, 0],
      [false, 0],
      [false, 1],
      [true, 2],
    ],
  );
});
