// What the gate gives the leader's writes: a lease check that sees a passed renew deadline even
// when the event loop was blocked and the deadline timer has not run yet, and the epoch floor.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { LeaderGate } from './leader-gate.ts';
import type { LeadingContext } from './leader-gate.ts';
import { DEFAULT_TIMINGS } from './timings.ts';

const { renewDeadlineMs: DEADLINE, retryPeriodMs: RETRY } = DEFAULT_TIMINGS;

/** A leader whose work only keeps its context, on a fake clock. */
async function leader(lock: MemoryLock, id = 'a') {
  const clock = lock.clock as FakeClock;
  const store = lock.client();
  const raised: string[] = [];
  let ctx: LeadingContext | undefined;
  const gate = new LeaderGate({
    store,
    identity: id,
    timings: DEFAULT_TIMINGS,
    clock,
    random: () => 0,
    observer: { epochRaised: ({ from, to }) => raised.push(`${from}->${to}`) },
    callbacks: {
      onStartedLeading: (c) => {
        ctx = c;
        return new Promise<void>((r) => c.signal.addEventListener('abort', () => r()));
      },
      onStoppedLeading: () => undefined,
    },
  });
  await gate.start();
  await clock.advance(0);
  assert.ok(ctx, 'did not lead');
  return { gate, store, clock, ctx, raised };
}

test('budgetMs counts down to the renew deadline from the last renewal sent', async () => {
  const { gate, clock, ctx } = await leader(new MemoryLock(new FakeClock()));
  assert.equal(ctx.budgetMs(), DEADLINE);
  await clock.advance(RETRY - 1);
  assert.equal(ctx.budgetMs(), DEADLINE - RETRY + 1);
  await clock.advance(1); // renewed
  assert.equal(ctx.budgetMs(), DEADLINE);
  await gate.stop();
  assert.equal(ctx.budgetMs(), 0, 'after the end of leadership');
});

test('leaseRemainingMs counts to the earliest takeover and keeps counting after leadership ended', async () => {
  const { gate, store, clock, ctx } = await leader(new MemoryLock(new FakeClock()));
  const { leaseDurationMs: LEASE } = DEFAULT_TIMINGS;
  assert.equal(ctx.leaseRemainingMs(), LEASE);
  store.down(); // renewals fail from now on: the last one sent is the grant
  await clock.advance(DEADLINE);
  assert.equal(ctx.signal.aborted, true, 'the renew deadline ended leadership');
  assert.equal(ctx.budgetMs(), 0);
  assert.equal(ctx.leaseRemainingMs(), LEASE - DEADLINE, 'the time teardown has before a successor may start');
  await clock.advance(LEASE);
  assert.equal(ctx.leaseRemainingMs(), 0);
  await gate.stop();
});

test('after an event-loop block past the deadline, budgetMs is 0 before the deadline timer has run', async () => {
  const { gate, store, clock, ctx } = await leader(new MemoryLock(new FakeClock()));
  store.down(); // renewals fail from now on
  await clock.advance(RETRY); // one failed renewal
  clock.jump(DEADLINE); // blocked: the clock moved, no timer fired
  assert.equal(ctx.signal.aborted, false, 'the deadline timer has not run');
  assert.equal(ctx.budgetMs(), 0, 'a write now must not be sent');
  await clock.advance(0);
  assert.equal(ctx.signal.aborted, true);
  await gate.stop();
});

test('raiseEpoch raises the hold to the floor; renewals go on with the new epoch', async () => {
  const lock = new MemoryLock(new FakeClock());
  const { gate, clock, ctx, raised } = await leader(lock);
  assert.equal(ctx.epoch, 1);
  assert.equal(await ctx.raiseEpoch(8), 8);
  assert.equal(ctx.epoch, 8);
  assert.equal(gate.epoch(), 8);
  assert.deepEqual(raised, ['1->8']);
  assert.equal(await ctx.raiseEpoch(3), 8, 'a floor below the epoch changes nothing');
  await clock.advance(RETRY * 3);
  assert.equal(gate.isLeader(), true, 'renewals with the raised epoch work');
  assert.equal(lock.state().epoch, 8);
  await gate.stop();
  const next = await leader(lock, 'b');
  assert.equal(next.ctx.epoch, 9, 'the next grant counts on from the floor');
  await next.gate.stop();
});

test('a raise that finds the hold gone ends leadership', async () => {
  const lock = new MemoryLock(new FakeClock());
  const { gate, ctx } = await leader(lock);
  lock.holder = 'someone-else';
  await assert.rejects(ctx.raiseEpoch(5), /no longer held/);
  assert.equal(ctx.signal.aborted, true);
  await gate.stop();
});

test('beforeAcquire raises the outside fence only when the store says the lock is free', async () => {
  const lock = new MemoryLock(new FakeClock());
  const clock = lock.clock as FakeClock;
  const calls: number[] = [];
  const a = await leader(lock, 'a');
  const b = new LeaderGate({
    store: lock.client(),
    identity: 'b',
    timings: DEFAULT_TIMINGS,
    clock,
    random: () => 0,
    beforeAcquire: (next) => {
      calls.push(next);
      return Promise.resolve();
    },
    callbacks: { onStartedLeading: () => undefined, onStoppedLeading: () => undefined },
  });
  await b.start();
  await clock.advance(RETRY * 3);
  assert.deepEqual(calls, [], 'the fence was raised while a held the lock');
  await a.gate.stop(); // releases: the lock is free at epoch 1
  await clock.advance(10);
  assert.deepEqual(calls, [2]);
  assert.equal(b.epoch(), 2);
  await b.stop();
});
