// Timing rules of the leader gate, on an injected clock and an in-memory store.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { sleep } from '../runtime/clock.ts';
import { LeaderGate } from './leader-gate.ts';
import type { GateObserver, LeaderCallbacks, StopReason } from './leader-gate.ts';
import { DEFAULT_TIMINGS } from './timings.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import type { MemoryLockStore } from '../locks/memory/memory-store.ts';

const { leaseDurationMs: LEASE, renewDeadlineMs: DEADLINE, retryPeriodMs: RETRY } = DEFAULT_TIMINGS;

interface Candidate {
  gate: LeaderGate;
  store: MemoryLockStore;
  events: string[];
  stops: StopReason[];
  failovers: (number | undefined)[];
}

function candidate(lock: MemoryLock, id: string, work?: (signal: AbortSignal) => Promise<void>): Candidate {
  const clock = lock.clock as FakeClock;
  const store = lock.client();
  const events: string[] = [];
  const stops: StopReason[] = [];
  const failovers: (number | undefined)[] = [];
  const callbacks: LeaderCallbacks = {
    onStartedLeading: async ({ signal, epoch }) => {
      events.push(`${clock.now()} start ${epoch}`);
      await (work ? work(signal) : new Promise<void>((r) => signal.addEventListener('abort', () => r())));
      events.push(`${clock.now()} work-done ${epoch}`);
    },
    onStoppedLeading: ({ epoch, reason }) => {
      events.push(`${clock.now()} stop ${epoch} ${reason}`);
      stops.push(reason);
    },
    onNewLeader: ({ holder, epoch }) => events.push(`${clock.now()} leader ${holder ?? '-'} ${epoch}`),
  };
  const observer: GateObserver = { acquired: ({ failoverMs }) => failovers.push(failoverMs) };
  const gate = new LeaderGate({
    store,
    identity: id,
    timings: DEFAULT_TIMINGS,
    callbacks,
    observer,
    clock,
    random: () => 0,
  });
  return { gate, store, events, stops, failovers };
}

test('a lone candidate leads at once and renews every retryPeriod', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  await a.gate.start();
  await clock.advance(0);
  assert.equal(a.gate.isLeader(), true);
  assert.equal(a.gate.epoch(), 1);
  assert.deepEqual(a.events.slice(0, 2), ['0 leader a 1', '0 start 1']);
  await clock.advance(60_000);
  assert.equal(a.gate.isLeader(), true);
  assert.equal(a.store.calls.renew, 60_000 / RETRY);
  await a.gate.stop();
});

test('a follower takes over exactly when the dead leader’s hold expires, not before', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  await lock.client().tryAcquire('ghost', LEASE); // a leader that then dies without releasing
  const b = candidate(lock, 'b');
  await b.gate.start();
  await clock.advance(LEASE - 1);
  assert.equal(b.gate.isLeader(), false);
  assert.equal(b.store.calls.acquire, 1, 'the follower polled while waiting for expiry');
  await clock.advance(10);
  assert.equal(b.gate.isLeader(), true);
  assert.equal(b.gate.epoch(), 2);
  assert.deepEqual(lock.log.at(-1), `${LEASE + 2} acquire b 2`);
  assert.deepEqual(b.failovers, [2]);
  await b.gate.stop();
});

test('a release wakes the follower at once', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const ghost = lock.client();
  const g = await ghost.tryAcquire('ghost', LEASE);
  assert.ok(g.acquired);
  const b = candidate(lock, 'b');
  await b.gate.start();
  await clock.advance(3000);
  assert.equal(b.gate.isLeader(), false);
  await ghost.release('ghost', g.epoch);
  await clock.advance(0);
  assert.equal(b.gate.isLeader(), true);
  assert.equal(lock.log.at(-1), '3000 acquire b 2');
  assert.deepEqual(b.failovers, [0]);
  await b.gate.stop();
});

test('a leader that cannot renew stops at renewDeadline, before anyone can take over', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  await a.gate.start();
  await clock.advance(0);
  const b = candidate(lock, 'b');
  await b.gate.start();
  await clock.advance(4 * RETRY); // renewed at 2, 4, 6, 8 s
  a.store.down(); // from now on a's renewals fail; the last one was sent at 8 s
  const lastRenew = 4 * RETRY;
  await clock.advance(DEADLINE - 1);
  assert.equal(a.gate.isLeader(), true, 'stopped too early');
  await clock.advance(1);
  assert.equal(a.gate.isLeader(), false);
  assert.deepEqual(a.stops, ['renew-deadline']);
  assert.ok(a.events.includes(`${lastRenew + DEADLINE} stop 1 renew-deadline`));
  assert.equal(b.gate.isLeader(), false, 'the follower took over while the leader could still act');
  await clock.advance(LEASE - DEADLINE + 10);
  assert.equal(b.gate.isLeader(), true);
  assert.equal(lock.log.at(-1), `${lastRenew + LEASE + 2} acquire b 2`);
  await a.gate.stop();
  await b.gate.stop();
});

test('a leader whose renewal is refused stops at once and campaigns again', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  await a.gate.start();
  await clock.advance(0);
  // Someone forcibly takes the lock (an operator's manual steal): the next renewal is refused.
  lock.holder = 'thief';
  lock.epoch += 1;
  await clock.advance(RETRY);
  assert.equal(a.gate.isLeader(), false);
  assert.deepEqual(a.stops, ['lost']);
  assert.ok(a.events.includes(`${RETRY} leader thief 2`) || a.events.some((e) => e.endsWith('leader thief 2')));
  await clock.advance(LEASE + 10); // the thief never renews
  assert.equal(a.gate.isLeader(), true);
  assert.equal(a.gate.epoch(), 3);
  await a.gate.stop();
});

test('on stop, a leader ends its work first and only then releases', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a', async (signal) => {
    await new Promise<void>((r) => signal.addEventListener('abort', () => r()));
    await sleep(clock, 300); // teardown takes a while
  });
  await a.gate.start();
  await clock.advance(1000);
  const stopped = a.gate.stop();
  assert.equal(a.gate.isLeader(), false, 'still leading after stop began');
  await clock.advance(300);
  await stopped;
  assert.equal(lock.log.at(-1), '1300 release a 1', 'released before the work finished');
  assert.ok(a.events.indexOf('1300 work-done 1') >= 0);
  assert.deepEqual(a.stops, ['shutdown']);
});

test('followers back off on store errors and recover when it returns', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const b = candidate(lock, 'b');
  b.store.down();
  await b.gate.start();
  await clock.advance(30_000);
  // retryPeriod × 1, 2, 4 … capped at leaseDuration: 0, 2, 6, 14, 29 s.
  assert.equal(b.store.calls.acquire, 5);
  b.store.down(false);
  await clock.advance(LEASE);
  assert.equal(b.gate.isLeader(), true);
  await b.gate.stop();
});

test('two candidates: exactly one leads, and the other takes over after a graceful stop', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  const b = candidate(lock, 'b');
  await Promise.all([a.gate.start(), b.gate.start()]);
  await clock.advance(20_000);
  assert.equal([a, b].filter((c) => c.gate.isLeader()).length, 1);
  const [leader, follower] = a.gate.isLeader() ? [a, b] : [b, a];
  assert.deepEqual(follower.gate.lastSeenLeader(), { holder: leader.gate.identity, epoch: 1 });
  await leader.gate.stop();
  await clock.advance(0);
  assert.equal(follower.gate.isLeader(), true);
  assert.equal(follower.gate.epoch(), 2);
  await follower.gate.stop();
});

test('planned handover: work ends, the lock is released, a follower leads at once, the old leader stands aside', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  await a.gate.start();
  await clock.advance(0);
  const b = candidate(lock, 'b');
  await b.gate.start();
  await clock.advance(5_000);
  assert.equal(a.gate.isLeader(), true);
  assert.equal(await b.gate.handover(), null, 'a follower has nothing to hand over');

  const released = a.gate.handover();
  await clock.advance(0);
  assert.equal(await released, 1);
  assert.deepEqual(a.stops, ['handover']);
  assert.ok(a.events.indexOf('5000 work-done 1') >= 0, 'the work ended before the release');
  await clock.advance(0);
  assert.equal(b.gate.isLeader(), true, 'the follower took the released lock without waiting for expiry');
  assert.equal(b.gate.epoch(), 2);
  // The old leader stays a follower: it does not grab the lock back.
  await clock.advance(LEASE * 3);
  assert.equal(a.gate.isLeader(), false);
  assert.equal(b.gate.isLeader(), true);
  await Promise.all([a.gate.stop(), b.gate.stop()]);
});

test('a lone leader that hands over takes the lock again after one lease duration', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  await a.gate.start();
  await clock.advance(0);
  const released = a.gate.handover();
  await clock.advance(0);
  assert.equal(await released, 1);
  await clock.advance(LEASE - 1);
  assert.equal(a.gate.isLeader(), false);
  await clock.advance(1);
  assert.equal(a.gate.isLeader(), true);
  assert.equal(a.gate.epoch(), 2);
  await a.gate.stop();
});

test('lease remaining: the leader counts from its last renewal; a follower from the store’s answer', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = candidate(lock, 'a');
  assert.equal(a.gate.leaseRemainingMs(), null);
  await a.gate.start();
  await clock.advance(0);
  assert.equal(a.gate.leaseRemainingMs(), LEASE);
  await clock.advance(RETRY - 1);
  assert.equal(a.gate.leaseRemainingMs(), LEASE - RETRY + 1);
  await clock.advance(1);
  assert.equal(a.gate.leaseRemainingMs(), LEASE, 'renewed');
  const b = candidate(lock, 'b');
  await b.gate.start();
  await clock.advance(500);
  assert.equal(b.gate.leaseRemainingMs(), LEASE - 500);
  await Promise.all([a.gate.stop(), b.gate.stop()]);
});
