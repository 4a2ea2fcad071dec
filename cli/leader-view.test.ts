// The sidecar's knowledge of the lock on a fake clock: notifications applied at once, a read in
// flight never undoing a newer notification, and unknown (never the last name) once the store
// fails, hangs, or the hold as last seen has run out.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LockState } from '../locks/lock-store.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import type { MemoryLockStore } from '../locks/memory/memory-store.ts';
import { FakeClock, flush } from '../runtime/fake-clock.ts';
import { LeaderView } from './leader-view.ts';
import type { Self } from './leader-view.ts';

const LEASE = 3000;

function setup(self?: Self) {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const store = lock.client();
  const other = lock.client();
  let errors = 0;
  const view = new LeaderView({
    store,
    leaseDurationMs: LEASE,
    pollMs: 250,
    staleAfterMs: 500,
    clock,
    onReadError: () => (errors += 1),
    ...(self ? { self } : {}),
  });
  return { clock, lock, store, other, view, errors: () => errors };
}

/** Makes `store`'s reads wait until the returned function is called (with what they should answer). */
function holdReads(store: MemoryLockStore): { release(state?: LockState): void; pending(): number } {
  const waiting: ((s: LockState) => void)[] = [];
  const real = store.read.bind(store);
  store.read = () =>
    new Promise<LockState>((resolve) => {
      const answer = real();
      waiting.push((s) => (s ? resolve(s) : void answer.then(resolve)));
    });
  return {
    release: (state) => waiting.splice(0).forEach((w) => w(state!)),
    pending: () => waiting.length,
  };
}

test('unknown until the first read; then the free lock, and each grant and release as soon as it is notified', async () => {
  const { clock, other, view } = setup();
  assert.deepEqual(view.answer(), { known: false, reason: 'starting', epoch: 0, ageMs: null });
  await view.start();
  await flush();
  assert.equal(view.answer().known, true);
  assert.equal((view.answer() as { holder: unknown }).holder, null);
  const g = await other.tryAcquire('pod-a_1', LEASE);
  assert.ok(g.acquired);
  // No time passed and no poll ran: the notification alone moved the answer.
  assert.deepEqual(view.answer(), { known: true, holder: 'pod-a_1', epoch: 1, leaseRemainingMs: LEASE, ageMs: 0 });
  await other.release('pod-a_1', 1);
  assert.deepEqual(view.answer(), { known: true, holder: null, epoch: 1, leaseRemainingMs: 0, ageMs: 0 });
  await clock.advance(100);
  await view.stop();
});

test('a read sent before a notification does not undo it', async () => {
  const { clock, other, store, view } = setup();
  await other.tryAcquire('pod-a_1', LEASE);
  const held = holdReads(store);
  await view.start();
  await flush();
  held.release(); // the first read: pod-a holds
  await flush();
  await clock.advance(250); // the next poll is sent, and held
  assert.equal(held.pending(), 1);
  await other.release('pod-a_1', 1);
  held.release({ holder: 'pod-a_1', epoch: 1, remainingMs: 2700 }); // what it read before the release
  await flush();
  const a = view.answer();
  assert.ok(a.known && a.holder === null, JSON.stringify(a));
  held.release();
  await view.stop();
});

test('a failing store makes the answer unknown at the next poll, and known again once a read succeeds', async () => {
  const { clock, other, store, view, errors } = setup();
  await other.tryAcquire('pod-a_1', LEASE);
  await view.start();
  await flush();
  assert.equal((view.answer() as { holder: unknown }).holder, 'pod-a_1');
  store.down();
  await clock.advance(250);
  const a = view.answer();
  assert.equal(a.known, false);
  assert.equal(!a.known && a.reason, 'store-unreachable');
  assert.match(!a.known ? (a.error ?? '') : '', /memory store is down/);
  assert.ok(errors() >= 1);
  store.down(false);
  await clock.advance(250);
  assert.equal((view.answer() as { holder: unknown }).holder, 'pod-a_1');
  await view.stop();
});

test('a store that stops answering (reads hang) makes the answer stale after maxStaleness', async () => {
  const { clock, other, store, view } = setup();
  await other.tryAcquire('pod-a_1', LEASE);
  await view.start();
  await flush();
  const held = holdReads(store);
  await clock.advance(499);
  assert.equal(view.answer().known, true, 'still within maxStaleness of the last read');
  await clock.advance(2);
  const a = view.answer();
  assert.equal(!a.known && a.reason, 'stale');
  held.release();
  await flush();
  assert.equal(view.answer().known, true);
  held.release();
  await view.stop();
});

test('a hold that ran out by the last answer is not vouched for, even if the store was heard from lately', async () => {
  const { clock, store, view } = setup();
  await view.start();
  await flush();
  const held = holdReads(store);
  view.notify({ type: 'acquired', holder: 'pod-a_1', epoch: 4, remainingMs: 100 });
  await clock.advance(150);
  const a = view.answer();
  assert.equal(!a.known && a.reason, 'lease-unconfirmed');
  // Late news of an older epoch changes nothing.
  view.notify({ type: 'released', epoch: 3 });
  assert.equal(view.answer().epoch, 4);
  held.release();
  await view.stop();
});

test("the store still naming this process after its own term ended is not reported as this process's lead", async () => {
  let leading = true;
  const { clock, store, view } = setup({ identity: 'pod-b_2', isLeader: () => leading });
  await store.tryAcquire('pod-b_2', LEASE);
  await view.start();
  await flush();
  assert.equal((view.answer() as { holder: unknown }).holder, 'pod-b_2');
  leading = false; // the renew deadline passed: the hold has not expired in the store yet
  const a = view.answer();
  assert.equal(!a.known && a.reason, 'own-term-ended');
  await clock.advance(10);
  await view.stop();
});
