// The library on an in-memory lock and a fake clock: events, terms and their signals, work that
// winds down while the lock is still held, and release at the end.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { FakeClock } from '../runtime/fake-clock.ts';
import { openElection } from './election.ts';
import type { Term } from './election.ts';
import { runWhileLeader } from './run-while-leader.ts';

const timings = { leaseDuration: 3000, renewDeadline: 2000, retryPeriod: 500 };
const internals = (clock: FakeClock) => ({ clock, random: () => 0 });

async function candidate(lock: MemoryLock, name: string) {
  const clock = lock.clock as FakeClock;
  const election = await openElection({ store: lock.client(), lock: 'jobs', identity: name, timings }, undefined, {
    clock,
    random: () => 0,
  });
  const seen: string[] = [];
  election.on('elected', (t) => seen.push(`elected ${t.epoch}`));
  election.on('deposed', ({ epoch, reason }) => seen.push(`deposed ${epoch} ${reason}`));
  await election.start();
  await clock.advance(0);
  return { election, seen };
}

test('one candidate is elected; stopping it hands the lock to the other at once, with a larger epoch', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = await candidate(lock, 'a');
  const b = await candidate(lock, 'b');
  assert.deepEqual(a.seen, ['elected 1']);
  assert.deepEqual(b.seen, []);
  assert.equal(a.election.isLeader(), true);
  assert.equal(a.election.epoch(), 1);
  assert.equal(b.election.leader().holder, a.election.identity);
  assert.match(a.election.identity, /^a_[0-9a-f]{8}$/);

  await a.election.stop();
  await clock.advance(0); // no time passes: the release wakes the follower
  assert.deepEqual(a.seen, ['elected 1', 'deposed 1 shutdown']);
  assert.deepEqual(b.seen, ['elected 2']);
  assert.equal(lock.holder, b.election.identity);
  await b.election.stop();
  assert.equal(lock.state().holder, null, 'released on stop');
});

test("a listener added while leading is called for the current term; the term's signal aborts when it ends", async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const a = await candidate(lock, 'a');
  const late: Term[] = [];
  a.election.on('elected', (t) => late.push(t));
  await clock.advance(0);
  assert.equal(late.length, 1);
  assert.equal(late[0]!.epoch, 1);
  assert.equal(late[0]!.signal.aborted, false);
  assert.equal(late[0]!.budgetMs(), 2000);
  lock.holder = 'someone-else'; // the lock taken behind our back: the next renewal finds it gone
  await clock.advance(500);
  assert.equal(late[0]!.signal.aborted, true);
  assert.equal(late[0]!.signal.reason, 'lost');
  assert.deepEqual(a.seen, ['elected 1', 'deposed 1 lost']);
  await a.election.stop();
});

test('runWhileLeader: the work stops at the renew deadline of a store outage, and runs again on the next term', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const store = lock.client();
  const ac = new AbortController();
  const terms: string[] = [];
  const done = runWhileLeader(
    { store, lock: 'jobs', identity: 'a', timings, signal: ac.signal },
    async (signal, epoch, term) => {
      terms.push(`start ${epoch} at ${clock.now()}`);
      await new Promise((r) => signal.addEventListener('abort', r));
      terms.push(`stop ${epoch} at ${clock.now()}: ${String(signal.reason)}, ${term.leaseRemainingMs()} ms to spare`);
    },
    internals(clock),
  );
  await clock.advance(0);
  store.down();
  await clock.advance(2000);
  assert.deepEqual(terms, ['start 1 at 0', 'stop 1 at 2000: renew-deadline, 1000 ms to spare']);
  store.down(false);
  await clock.advance(1500); // the hold has expired; the next attempt wins a new term
  assert.equal(terms.length, 3, terms.join('\n'));
  assert.match(terms[2]!, /^start 2 at /);
  ac.abort();
  assert.equal(await done, undefined);
  assert.match(terms[3]!, /^stop 2 at \d+: shutdown/);
  assert.equal(lock.state().holder, null);
});

test('runWhileLeader: on stop, the work winds down while the lock is still renewed, then the lock is released', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const ac = new AbortController();
  let windDown = (): void => undefined;
  let stopping = false;
  const done = runWhileLeader(
    { store: lock.client(), lock: 'jobs', identity: 'a', timings, signal: ac.signal },
    async (signal) => {
      await new Promise((r) => signal.addEventListener('abort', r));
      stopping = true;
      await new Promise<void>((r) => (windDown = r)); // a slow teardown: longer than a lease
    },
    internals(clock),
  );
  await clock.advance(0);
  ac.abort();
  await clock.advance(10_000);
  assert.equal(stopping, true);
  assert.ok(lock.holder?.startsWith('a_'), 'the lock was given up while the work was still stopping');
  assert.ok(lock.state().remainingMs > 2000, 'not renewed during the teardown');
  windDown();
  await clock.advance(0);
  assert.equal(await done, undefined);
  assert.equal(lock.state().holder, null);
});

test('runWhileLeader: work that returns on its own resolves with its value and releases the lock', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const done = runWhileLeader(
    { store: lock.client(), lock: 'jobs', identity: 'a', timings },
    async (_signal, epoch) => {
      await new Promise((r) => clock.setTimeout(() => r(undefined), 5000));
      return `finished in term ${epoch}`;
    },
    internals(clock),
  );
  await clock.advance(5000);
  assert.equal(await done, 'finished in term 1');
  assert.equal(lock.state().holder, null);
  assert.deepEqual(
    lock.log.map((l) => l.split(' ')[1]),
    ['acquire', 'release'],
  );
});

test('runWhileLeader: work that throws rejects with its error, after the lock was released', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const done = runWhileLeader(
    { store: lock.client(), lock: 'jobs', identity: 'a', timings },
    () => Promise.reject(new Error('cannot open the spool')),
    internals(clock),
  );
  const rejected = assert.rejects(done, /cannot open the spool/);
  await clock.advance(0);
  await rejected;
  assert.equal(lock.state().holder, null);
});

test('runWhileLeader refuses bad options before touching the store', async () => {
  const clock = new FakeClock();
  const lock = new MemoryLock(clock);
  const store = lock.client();
  await assert.rejects(
    runWhileLeader({ store, lock: 'jobs', timings: { renewDeadline: 100, retryPeriod: 100 } }, () => Promise.resolve()),
    /renewDeadline \(100ms\) must be greater than retryPeriod \(100ms\) × 1\.2/,
  );
  assert.deepEqual(store.calls, { acquire: 0, renew: 0, raise: 0, release: 0 });
});
