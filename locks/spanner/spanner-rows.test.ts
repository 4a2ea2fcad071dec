// Unit tests for the Spanner store's pure parts: deciding from a row and Spanner's time,
// reading rows, polling events and error classes. No network.
import assert from 'node:assert/strict';
import { SpannerStore } from './spanner-store.ts';
import { test } from 'node:test';
import { LockStoreError } from '../lock-store.ts';
import {
  decideAcquire,
  errorCode,
  holds,
  isDuplicateTable,
  lockNameFor,
  lockState,
  parseRead,
  pollEvents,
} from './spanner-rows.ts';
import type { LockRow } from './spanner-rows.ts';

/** Spanner's "now" in these tests, in microseconds. */
const NOW = 1_800_000_000_000_000;
const ms = (n: number): number => n * 1000;
const row = (holder: string | null, epoch: number, expiresInMs: number | null): LockRow => ({
  holder,
  epoch,
  expiresUs: expiresInMs === null ? null : NOW + ms(expiresInMs),
});

test('the lock name follows the Redis key scheme', () => {
  assert.equal(lockNameFor('blue'), 'highlander-leader-lock:blue');
});

test('state: no row is free with epoch 0; a live hold shows its holder and Spanner-time left', () => {
  assert.deepEqual(lockState(undefined, NOW), { holder: null, epoch: 0, remainingMs: 0 });
  assert.deepEqual(lockState(row('a', 3, 4000), NOW), { holder: 'a', epoch: 3, remainingMs: 4000 });
  // Fractions of a millisecond round down, but a live hold never reads as 0 (that means free).
  assert.equal(lockState({ holder: 'a', epoch: 3, expiresUs: NOW + 2500 }, NOW).remainingMs, 2);
  assert.equal(lockState({ holder: 'a', epoch: 3, expiresUs: NOW + 1 }, NOW).remainingMs, 1);
});

test('state: expired, released and half-written rows read as free, keeping the epoch', () => {
  assert.deepEqual(lockState(row('a', 3, 0), NOW), { holder: null, epoch: 3, remainingMs: 0 }); // expires exactly now
  assert.deepEqual(lockState(row('a', 3, -1), NOW), { holder: null, epoch: 3, remainingMs: 0 });
  assert.deepEqual(lockState(row(null, 3, null), NOW), { holder: null, epoch: 3, remainingMs: 0 }); // released
  assert.deepEqual(lockState(row('a', 3, null), NOW), { holder: null, epoch: 3, remainingMs: 0 });
  assert.deepEqual(lockState(row(null, 3, 5000), NOW), { holder: null, epoch: 3, remainingMs: 0 });
});

test('acquire: a missing row is inserted with epoch 1', () => {
  assert.deepEqual(decideAcquire(undefined, NOW, 'a'), { grant: true, epoch: 1, insert: true });
});

test('acquire: free, released and expired locks are granted with the next epoch', () => {
  assert.deepEqual(decideAcquire(row(null, 4, null), NOW, 'a'), { grant: true, epoch: 5, insert: false });
  assert.deepEqual(decideAcquire(row('b', 4, 0), NOW, 'a'), { grant: true, epoch: 5, insert: false });
  assert.deepEqual(decideAcquire(row('b', 4, -60_000), NOW, 'a'), { grant: true, epoch: 5, insert: false });
});

test('acquire: held by another is refused with the state; held by me is granted again with a new epoch', () => {
  assert.deepEqual(decideAcquire(row('b', 4, 1), NOW, 'a'), {
    grant: false,
    state: { holder: 'b', epoch: 4, remainingMs: 1 },
  });
  assert.deepEqual(decideAcquire(row('a', 4, 9000), NOW, 'a'), { grant: true, epoch: 5, insert: false });
});

test('renew/release: only the live holder with the same epoch holds the lock', () => {
  const live = row('a', 7, 3000);
  assert.equal(holds(live, NOW, 'a', 7), true);
  assert.equal(holds(live, NOW, 'b', 7), false, 'another holder');
  assert.equal(holds(live, NOW, 'a', 6), false, 'a stale epoch');
  assert.equal(holds(live, NOW, 'a', 8), false, 'a future epoch');
  assert.equal(holds(row('a', 7, 0), NOW, 'a', 7), false, 'expired, even if nobody took it');
  assert.equal(holds(row('a', 7, null), NOW, 'a', 7), false);
  assert.equal(holds(row(null, 7, null), NOW, 'a', 7), false, 'released');
  assert.equal(holds(undefined, NOW, 'a', 0), false, 'never taken');
});

test('parseRead: the joined row, or only Spanner time when the lock has no row', () => {
  assert.deepEqual(parseRead([{ now_us: NOW, holder: null, epoch: null, expires_us: null }]), {
    row: undefined,
    nowUs: NOW,
  });
  assert.deepEqual(parseRead([{ now_us: NOW, holder: 'a', epoch: 2, expires_us: NOW + 5 }]), {
    row: { holder: 'a', epoch: 2, expiresUs: NOW + 5 },
    nowUs: NOW,
  });
  assert.deepEqual(parseRead([{ now_us: NOW, holder: null, epoch: 2, expires_us: null }]), {
    row: { holder: null, epoch: 2, expiresUs: null },
    nowUs: NOW,
  });
});

test('parseRead: anything else is an invalid response', () => {
  const invalid = (err: unknown): boolean => err instanceof LockStoreError && err.code === 'invalid-response';
  assert.throws(() => parseRead([]), invalid);
  assert.throws(() => parseRead([{ now_us: NOW }, { now_us: NOW }]), invalid);
  assert.throws(() => parseRead([{ now_us: '1', holder: null, epoch: null, expires_us: null }]), invalid);
  assert.throws(() => parseRead([{ now_us: NOW, holder: 5, epoch: 1, expires_us: null }]), invalid);
  assert.throws(() => parseRead([{ now_us: NOW, holder: 'a', epoch: '1', expires_us: NOW }]), invalid);
  assert.throws(() => parseRead([{ now_us: NOW, holder: 'a', epoch: 1, expires_us: 'soon' }]), invalid);
});

test('polling: a hold that ends is released with its epoch; a new hold is acquired', () => {
  const free = (epoch: number) => ({ holder: null, epoch, remainingMs: 0 });
  const held = (holder: string, epoch: number) => ({ holder, epoch, remainingMs: 1000 });
  assert.deepEqual(pollEvents(free(0), free(0)), []);
  assert.deepEqual(pollEvents(free(0), held('a', 1)), [{ type: 'acquired', holder: 'a', epoch: 1 }]);
  assert.deepEqual(pollEvents(held('a', 1), held('a', 1)), [], 'a renewal is no news');
  assert.deepEqual(pollEvents(held('a', 1), free(1)), [{ type: 'released', epoch: 1 }], 'released or expired');
  // Released and taken again between two polls: both happened.
  assert.deepEqual(pollEvents(held('a', 1), held('b', 2)), [
    { type: 'released', epoch: 1 },
    { type: 'acquired', holder: 'b', epoch: 2 },
  ]);
  assert.deepEqual(pollEvents(held('a', 1), held('a', 3)), [
    { type: 'released', epoch: 1 },
    { type: 'acquired', holder: 'a', epoch: 3 },
  ]);
  // Taken and released between two polls: only the epoch moved, and that grant is over.
  assert.deepEqual(pollEvents(free(1), free(2)), [{ type: 'released', epoch: 2 }]);
  assert.deepEqual(pollEvents(free(1), free(4)), [{ type: 'released', epoch: 4 }]);
  assert.deepEqual(pollEvents(held('a', 1), free(3)), [
    { type: 'released', epoch: 1 },
    { type: 'released', epoch: 3 },
  ]);
  // No baseline (the first read failed): a holder is news.
  assert.deepEqual(pollEvents(undefined, held('a', 4)), [{ type: 'acquired', holder: 'a', epoch: 4 }]);
  assert.deepEqual(pollEvents(undefined, free(4)), []);
});

test('errors: unreachable, contended and slow are retryable; refused requests are config', () => {
  const grpc = (code: number): Error => Object.assign(new Error('x'), { code });
  assert.equal(errorCode(grpc(14)), 'unavailable'); // UNAVAILABLE
  assert.equal(errorCode(grpc(10)), 'unavailable'); // ABORTED, after our retries
  assert.equal(errorCode(grpc(8)), 'unavailable'); // RESOURCE_EXHAUSTED
  assert.equal(errorCode(grpc(13)), 'unavailable'); // INTERNAL
  assert.equal(errorCode(grpc(4)), 'timeout'); // DEADLINE_EXCEEDED
  assert.equal(errorCode(grpc(1)), 'timeout'); // CANCELLED
  assert.equal(errorCode(grpc(3)), 'config'); // INVALID_ARGUMENT
  assert.equal(errorCode(grpc(5)), 'config'); // NOT_FOUND: no such database
  assert.equal(errorCode(grpc(7)), 'config'); // PERMISSION_DENIED
  assert.equal(errorCode(grpc(16)), 'config'); // UNAUTHENTICATED
  assert.equal(errorCode(new Error('socket hang up')), 'unavailable');
  assert.equal(errorCode(new LockStoreError('invalid-response', 'spanner', 'x')), 'invalid-response');
});

test('a concurrent creator of the table is recognised', () => {
  assert.equal(isDuplicateTable(Object.assign(new Error('x'), { code: 6 })), true);
  assert.equal(
    isDuplicateTable(Object.assign(new Error('9 FAILED_PRECONDITION: Duplicate name in schema: t.'), { code: 9 })),
    true,
  );
  assert.equal(isDuplicateTable(Object.assign(new Error('14 UNAVAILABLE'), { code: 14 })), false);
});

test('the store refuses a bad table name or emulator address at once', () => {
  const base = { projectID: 'p', instanceID: 'i', databaseID: 'd' };
  for (const table of ['', '1locks', 'locks; DROP TABLE x', 'a.b', 'x'.repeat(129)]) {
    assert.throws(
      () => new SpannerStore({ ...base, table }),
      (err: unknown) => err instanceof LockStoreError && err.code === 'config',
      table,
    );
  }
  for (const emulatorHost of ['localhost', 'http://127.0.0.1:9010', '127.0.0.1:0', '127.0.0.1:70000', ':9010']) {
    assert.throws(
      () => new SpannerStore({ ...base, emulatorHost }),
      (err: unknown) => err instanceof LockStoreError && err.code === 'config',
      emulatorHost,
    );
  }
});
