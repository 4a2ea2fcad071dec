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
  o: {
    store?: MemoryLockStore;
    /** What the leader's work still has to do once told to stop. */
    drain?: () => Promise<void>;
    /** What this candidate's watch of the fence shows. */
    fenceSeen?: () => number;
    /** How long a fence write takes (resolves when it has landed). */
    fenceWrite?: (next: number) => Promise<void>;
  } = {},
) {
  const { store = lock.client(), drain = () => Promise.resolve(), fenceSeen, fenceWrite } = o;
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
      return fenceWrite ? fenceWrite(next) : Promise.resolve();
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

test('a leader with a write left unanswered raises the fence above its own epoch before it releases', async () => {
  const lock = new MemoryLock(new FakeClock());
  (lock.clock as FakeClock).jump(0.25); // a monotonic clock's times have fractions (timeouts must not)
  let landed = (): void => undefined;
  const a = candidate(lock, 'a', {
    fenceWrite: (next) => (next === 1 ? Promise.resolve() : new Promise<void>((r) => (landed = r))),
  });
  await a.gate.start();
  await a.clock.advance(0);
  a.contexts[0]!.unanswered(); // e.g. a write aborted in flight: it may still land
  const stopped = a.gate.stop();
  await a.clock.advance(0);
  assert.ok(!lock.log.some((l) => l.includes('release')), 'released before the fence was up');
  landed();
  await stopped;
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
  const b = candidate(lock, 'b', { fenceSeen: () => Math.max(0, ...a.fenced) });
  await b.gate.start();
  await b.clock.advance(0);
  a.contexts[0]!.unanswered(); // so that a's release is not clean
  await a.gate.stop(); // raises the fence to 2, then releases; b is woken by the release
  await b.clock.advance(0);
  assert.equal(b.gate.epoch(), 2);
  assert.deepEqual(b.fenced, [], 'b raised a fence its watch showed raised');
  await b.gate.stop();
});

test('a leader whose writes were all answered releases at once, saying so; its successor starts without a fence write', async () => {
  const lock = new MemoryLock(new FakeClock());
  let landed = (): void => undefined;
  const a = candidate(lock, 'a', {
    fenceWrite: (next) => (next === 1 ? Promise.resolve() : new Promise<void>((r) => (landed = r))),
  });
  await a.gate.start();
  await a.clock.advance(0);
  const b = candidate(lock, 'b', { fenceSeen: () => 1 }); // b's watch shows the fence a raised
  await b.gate.start();
  await b.clock.advance(0);
  const stopped = a.gate.stop();
  await a.clock.advance(0);
  assert.ok(
    lock.log.some((l) => l.endsWith('release a 1')),
    'the release waited for a fence it did not need',
  );
  assert.equal(b.gate.epoch(), 2, 'b did not take the lock after the clean release');
  assert.deepEqual(b.fenced, [], 'b raised the fence (its work raises it to its own epoch, not the gate)');
  assert.deepEqual(a.fenced, [1], 'a clean stop sent a fence write');
  landed();
  await stopped;
  await b.gate.stop();
});

test('a clean release excuses only the grant right after it: with another grant between, the fence goes up first', async () => {
  const lock = new MemoryLock(new FakeClock());
  const a = candidate(lock, 'a');
  await a.gate.start();
  await a.clock.advance(0);
  const b = candidate(lock, 'b', { fenceSeen: () => 2 }); // the fence as a's stop leaves it
  await b.gate.start();
  await b.clock.advance(0);
  const c = lock.client(); // another holder that takes epoch 2 between a's release and b's attempt
  b.store.down(); // so that b's attempt on the release fails, and comes after c's
  await a.gate.stop(); // clean: tells b
  const g = await c.tryAcquire('c', LEASE);
  assert.ok(g.acquired && g.epoch === 2);
  await c.release('c', 2); // not clean: c's writes may still land
  b.store.down(false);
  await b.clock.advance(RETRY * 2);
  assert.equal(b.gate.epoch(), 3, lock.log.join('\n'));
  const bGrant = lock.log.findIndex((l) => l.endsWith('acquire b 3'));
  assert.ok(
    lock.log.slice(0, bGrant).some((l) => l.endsWith('fence b 3')),
    `b led at 3 with c's epoch 2 not fenced out:\n${lock.log.join('\n')}`,
  );
  await b.gate.stop();
});

test('a stopping leader with a write left unanswered raises the fence while its work drains, and releases once both are done', async () => {
  const lock = new MemoryLock(new FakeClock());
  let drained = (): void => undefined;
  const draining = new Promise<void>((r) => (drained = r));
  const a = candidate(lock, 'a', { drain: () => draining });
  await a.gate.start();
  await a.clock.advance(0);
  a.contexts[0]!.unanswered();
  const stopped = a.gate.stop();
  await a.clock.advance(0);
  const events = () => lock.log.map((l) => l.split(' ').slice(1).join(' ')).slice(2); // after 'fence a 1', 'acquire a 1'
  assert.deepEqual(events(), ['fence a 2'], 'the fence waited for the work, or the release did not');
  drained();
  await stopped;
  assert.deepEqual(events(), ['fence a 2', 'release a 1']);
});

test('with a store that cannot announce a clean release (Spanner), the leader fences itself out while its work drains', async () => {
  const lock = new MemoryLock(new FakeClock());
  let drained = (): void => undefined;
  const draining = new Promise<void>((r) => (drained = r));
  const a = candidate(lock, 'a', { store: lock.client({ announcesCleanRelease: false }), drain: () => draining });
  await a.gate.start();
  await a.clock.advance(0);
  const stopped = a.gate.stop(); // every write answered: clean, but the successor would not know
  await a.clock.advance(0);
  const events = () => lock.log.map((l) => l.split(' ').slice(1).join(' ')).slice(2);
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
  const a = candidate(lock, 'a', { store: slow });
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
