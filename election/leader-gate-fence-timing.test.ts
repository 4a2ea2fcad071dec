// When the gate raises an outside fence (beforeAcquire): early, once the holder is past its renew
// deadline, so a takeover at expiry waits for no fence write; by the leader itself before it
// releases; and never leading with a grant above the fence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import type { MemoryLockStore } from '../locks/memory/memory-store.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { LeaderGate } from './leader-gate.ts';
import type { LeadingContext } from './leader-gate.ts';
import { DEFAULT_TIMINGS } from './timings.ts';

const { leaseDurationMs: LEASE, renewDeadlineMs: DEADLINE, retryPeriodMs: RETRY } = DEFAULT_TIMINGS;

/** A candidate whose fence writes go into the lock's log, beside its grants and releases. */
function candidate(
  lock: MemoryLock,
  id: string,
  store: MemoryLockStore = lock.client(),
  /** What the leader's work still has to do once told to stop. */
  drain: () => Promise<void> = () => Promise.resolve(),
  /** What this candidate's watch of the fence shows. */
  fenceSeen?: () => number,
) {
  const clock = lock.clock as FakeClock;
  const fenced: number[] = [];
  const contexts: LeadingContext[] = [];
  const gate = new LeaderGate({
    store,
    identity: id,
    timings: DEFAULT_TIMINGS,
    clock,
    random: () => 0,
    ...(fenceSeen ? { fenceSeen } : {}),
    beforeAcquire: (next, o) => {
      // As the operator's fence client does: nothing is sent on an aborted signal.
      if (o.signal.aborted) return Promise.reject(new Error(`fence ${next}: aborted`));
      fenced.push(next);
      lock.log.push(`${clock.now()} fence ${id} ${next}`);
      return Promise.resolve();
    },
    callbacks: {
      onStartedLeading: (c) => {
        contexts.push(c);
        return new Promise<void>((r) => c.signal.addEventListener('abort', () => void drain().then(r)));
      },
      onStoppedLeading: () => undefined,
    },
  });
  return { gate, clock, fenced, contexts, store };
}

test('a follower raises the fence once the holder is past its renew deadline, and takes over at expiry without another', async () => {
  const lock = new MemoryLock(new FakeClock());
  const a = candidate(lock, 'a');
  await a.gate.start();
  await a.clock.advance(0);
  assert.equal(a.gate.epoch(), 1);
  const b = candidate(lock, 'b');
  await b.gate.start();
  await b.clock.advance(0);
  a.store.down(); // a's renewals fail from now on: its last one was sent at 0
  await b.clock.advance(DEADLINE - 1);
  assert.deepEqual(b.fenced, [], 'raised while the holder could still be acting');
  await b.clock.advance(2 + RETRY); // past a's deadline by the store's clock, plus b's next look
  assert.deepEqual(b.fenced, [2], 'not raised between the renew deadline and the expiry');
  assert.equal(b.gate.isLeader(), false, 'led before the hold expired');
  await b.clock.advance(LEASE - DEADLINE);
  assert.equal(b.gate.epoch(), 2);
  assert.deepEqual(b.fenced, [2], 'the takeover raised the fence again');
  const fenceAt = Number(lock.log.find((l) => l.includes('fence b 2'))!.split(' ')[0]);
  assert.ok(fenceAt >= DEADLINE && fenceAt < LEASE, `fence raised at ${fenceAt}`);
  await b.gate.stop();
  await a.gate.stop();
});

test('a leader that stops raises the fence above its own epoch before it releases', async () => {
  const lock = new MemoryLock(new FakeClock());
  (lock.clock as FakeClock).jump(0.25); // a monotonic clock's times have fractions (timeouts must not)
  const a = candidate(lock, 'a');
  await a.gate.start();
  await a.clock.advance(0);
  await a.gate.stop();
  const tail = lock.log.slice(-2).map((l) => l.split(' ').slice(1).join(' '));
  assert.deepEqual(tail, ['fence a 2', 'release a 1']);
  // The successor finds the fence raised and takes the lock without raising it again.
  const b = candidate(lock, 'b');
  await b.gate.start();
  await b.clock.advance(0);
  assert.equal(b.gate.epoch(), 2);
  assert.deepEqual(b.fenced, [2], 'b raises through its own fence client (a no-op on a raised fence)');
  await b.gate.stop();
});

test('a successor whose fence watch shows the fence raised takes the lock without reading the store or raising it', async () => {
  const lock = new MemoryLock(new FakeClock());
  const a = candidate(lock, 'a');
  await a.gate.start();
  await a.clock.advance(0);
  const b = candidate(lock, 'b', undefined, undefined, () => Math.max(0, ...a.fenced));
  await b.gate.start();
  await b.clock.advance(0);
  await a.gate.stop(); // raises the fence to 2, then releases; b is woken by the release
  await b.clock.advance(0);
  assert.equal(b.gate.epoch(), 2);
  assert.deepEqual(b.fenced, [], 'b raised a fence its watch showed raised');
  await b.gate.stop();
});

test('a stopping leader raises the fence while its work drains, and releases once both are done', async () => {
  const lock = new MemoryLock(new FakeClock());
  let drained = (): void => undefined;
  const draining = new Promise<void>((r) => (drained = r));
  const a = candidate(lock, 'a', undefined, () => draining);
  await a.gate.start();
  await a.clock.advance(0);
  const stopped = a.gate.stop();
  await a.clock.advance(0);
  const events = () => lock.log.map((l) => l.split(' ').slice(1).join(' ')).slice(2); // after 'fence a 1', 'acquire a 1'
  assert.deepEqual(events(), ['fence a 2'], 'the fence waited for the work, or the release did not');
  drained();
  await stopped;
  assert.deepEqual(events(), ['fence a 2', 'release a 1']);
});

test('a grant above the fence is given back, and taken again once the fence is raised to it', async () => {
  const lock = new MemoryLock(new FakeClock());
  const a = candidate(lock, 'a');
  await a.gate.start();
  await a.clock.advance(0);
  const b = candidate(lock, 'b');
  await b.gate.start();
  a.store.down();
  await b.clock.advance(DEADLINE + RETRY + 2);
  assert.deepEqual(b.fenced, [2]);
  lock.epoch = 5; // others held and lost epochs 2 to 5 meanwhile, unseen by b
  await b.clock.advance(LEASE);
  assert.ok(
    lock.log.some((l) => l.endsWith('release b 6')),
    lock.log.join('\n'),
  );
  assert.deepEqual(b.fenced, [2, 7]);
  assert.equal(b.gate.epoch(), 7);
  assert.equal(b.contexts.length, 1, 'b led with the grant above the fence');
  await b.gate.stop();
  await a.gate.stop();
});

test('a renewal answered after the renew deadline ends leadership (followers count the hold as over)', async () => {
  const lock = new MemoryLock(new FakeClock());
  const clock = lock.clock as FakeClock;
  const inner = lock.client();
  let answer: (() => void) | undefined;
  // The renewal reaches the store at once; its answer comes back only when the test says.
  const slow = new Proxy(inner, {
    get(target, prop) {
      if (prop === 'renew') {
        return async (...args: Parameters<MemoryLockStore['renew']>) => {
          const g = await target.renew(...args);
          await new Promise<void>((r) => (answer = r));
          return g;
        };
      }
      const v = Reflect.get(target, prop) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  const a = candidate(lock, 'a', slow);
  await a.gate.start();
  await clock.advance(0);
  const ctx = a.contexts[0]!;
  await clock.advance(RETRY); // the first renewal is sent at RETRY
  assert.ok(answer, 'no renewal sent');
  clock.jump(DEADLINE - RETRY + 1); // past the deadline of the grant; the timer has not run
  answer();
  await clock.advance(0);
  assert.equal(ctx.signal.aborted, true, 'still leading on a renewal answered after the deadline');
  assert.equal(ctx.signal.reason, 'renew-deadline');
  await a.gate.stop();
});
