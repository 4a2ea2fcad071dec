// The contract every lock store must keep, run against each real backend.
// Each test uses its own lock name, and several store instances (each with its own
// connections) play the candidates, as separate operator processes would.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { LockEvent, LockStore } from '../../locks/lock-store.ts';
import { LockStoreError } from '../../locks/lock-store.ts';

/** Makes a new store instance (new connections) for the lock named `lockName`. */
export type StoreFactory = (lockName: string) => Promise<LockStore>;

/** Contract options for backends whose notifications are slower (a polling store). */
export interface ContractOptions {
  /** Upper bound on how long a release takes to reach a subscriber. */
  notifyWithinMs?: number;
  /** Candidates racing in the mutual-exclusion test, and rounds each. */
  candidates?: number;
  rounds?: number;
  /** A store pointed at an address where nothing listens (its call deadline: unreachableDeadlineMs). */
  unreachable?: () => Promise<LockStore>;
  unreachableDeadlineMs?: number;
}

/** Registers the lock-store contract tests for one backend. */
export function lockStoreContract(backend: string, factory: StoreFactory, options: ContractOptions = {}): void {
  const notifyWithinMs = options.notifyWithinMs ?? 1000;
  const opened: LockStore[] = [];
  const open = async (lockName: string): Promise<LockStore> => {
    const s = await factory(lockName);
    opened.push(s);
    return s;
  };
  const fresh = (): string => `contract-${randomUUID().slice(0, 8)}`;

  describe(`lock store contract: ${backend}`, () => {
    after(async () => {
      await Promise.allSettled(opened.map((s) => s.close()));
    });

    test('a lock never taken is free with epoch 0', async () => {
      const s = await open(fresh());
      assert.deepEqual(await s.read(), { holder: null, epoch: 0, remainingMs: 0 });
    });

    test('the first candidate gets a grant; another sees the holder and time left', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const g = await a.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      assert.ok(g.epoch >= 1);
      assert.ok(g.remainingMs > 4000 && g.remainingMs <= 5000, `remainingMs ${g.remainingMs}`);
      const r = await b.tryAcquire('b', 5000);
      assert.equal(r.acquired, false);
      if (r.acquired) return;
      assert.equal(r.state.holder, 'a');
      assert.equal(r.state.epoch, g.epoch);
      assert.ok(r.state.remainingMs > 3000 && r.state.remainingMs <= 5000, `remainingMs ${r.state.remainingMs}`);
      const seen = await b.read();
      assert.equal(seen.holder, 'a');
    });

    test('mutual exclusion: many candidates racing, never two holders, epochs strictly increase', async () => {
      const name = fresh();
      const n = options.candidates ?? 6;
      const rounds = options.rounds ?? 15;
      const stores = await Promise.all(Array.from({ length: n }, () => open(name)));
      let inside = 0;
      let maxInside = 0;
      const epochs: number[] = [];
      const wins = new Array<number>(n).fill(0);
      const deadline = Date.now() + 60_000;
      await Promise.all(
        stores.map(async (s, i) => {
          const me = `candidate-${i}`;
          while (wins[i]! < rounds && Date.now() < deadline) {
            const r = await s.tryAcquire(me, 10_000);
            if (!r.acquired) {
              await sleep(Math.random() * 5);
              continue;
            }
            inside += 1;
            maxInside = Math.max(maxInside, inside);
            epochs.push(r.epoch);
            wins[i]! += 1;
            await sleep(Math.random() * 3);
            inside -= 1; // before the release: after it, another may rightly hold the lock
            assert.ok(await s.release(me, r.epoch), `${me} could not release epoch ${r.epoch}`);
          }
        }),
      );
      assert.equal(maxInside, 1, 'two candidates held the lock at once');
      assert.ok(epochs.length >= n * rounds, `only ${epochs.length} grants in time`);
      for (let i = 1; i < epochs.length; i += 1) {
        assert.ok(epochs[i]! > epochs[i - 1]!, `epoch ${epochs[i]} after ${epochs[i - 1]}`);
      }
    });

    test('a held lock is taken over only after it expires', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const g = await a.tryAcquire('a', 2000);
      assert.ok(g.acquired);
      const denied = await b.tryAcquire('b', 2000);
      assert.equal(denied.acquired, false);
      if (denied.acquired) return;
      await sleep(Math.max(0, denied.state.remainingMs - 400));
      assert.equal((await b.tryAcquire('b', 2000)).acquired, false, 'taken before expiry');
      await sleep(600);
      const won = await b.tryAcquire('b', 2000);
      assert.ok(won.acquired, 'not taken after expiry');
      assert.ok(won.epoch > g.epoch);
      assert.equal((await a.read()).holder, 'b');
    });

    test('a release is announced at once and the lock can be taken immediately', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const events: LockEvent[] = [];
      let onRelease: () => void = () => undefined;
      const released = new Promise<void>((resolve) => (onRelease = resolve));
      const stop = await b.subscribe((e) => {
        events.push(e);
        if (e.type === 'released') onRelease();
      });
      try {
        const g = await a.tryAcquire('a', 30_000);
        assert.ok(g.acquired);
        const t0 = Date.now();
        assert.equal(await a.release('a', g.epoch), true);
        await Promise.race([
          released,
          sleep(notifyWithinMs).then(() => assert.fail(`no release event within ${notifyWithinMs} ms`)),
        ]);
        const won = await b.tryAcquire('b', 30_000);
        assert.ok(won.acquired, 'released lock not free');
        assert.ok(won.epoch > g.epoch);
        assert.ok(Date.now() - t0 < notifyWithinMs + 1000);
        assert.ok(events.some((e) => e.type === 'released' && e.epoch === g.epoch));
      } finally {
        await stop();
      }
    });

    test('an acquisition is announced to subscribers', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      let got: LockEvent | undefined;
      const stop = await b.subscribe((e) => {
        if (e.type === 'acquired') got ??= e;
      });
      try {
        const g = await a.tryAcquire('a', 10_000);
        assert.ok(g.acquired);
        const deadline = Date.now() + notifyWithinMs;
        while (!got && Date.now() < deadline) await sleep(10);
        assert.deepEqual(got, { type: 'acquired', holder: 'a', epoch: g.epoch });
      } finally {
        await stop();
      }
    });

    test('a non-holder can neither renew nor release', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const g = await a.tryAcquire('a', 10_000);
      assert.ok(g.acquired);
      assert.equal(await b.renew('b', g.epoch, 10_000), null);
      assert.equal(await b.release('b', g.epoch), false);
      const st = await b.read();
      assert.equal(st.holder, 'a');
      assert.equal(st.epoch, g.epoch);
      const renewed = await a.renew('a', g.epoch, 10_000);
      assert.ok(renewed, 'the holder could not renew');
      assert.equal(renewed.epoch, g.epoch);
    });

    test('a holder whose lease expired cannot renew, even if nobody took it', async () => {
      const s = await open(fresh());
      const g = await s.tryAcquire('a', 1000);
      assert.ok(g.acquired);
      await sleep(1300);
      assert.equal(await s.renew('a', g.epoch, 1000), null);
      assert.equal((await s.read()).holder, null);
    });

    test('a hold that expired cannot be released, even if nobody took it', async () => {
      const s = await open(fresh());
      const g = await s.tryAcquire('a', 1000);
      assert.ok(g.acquired);
      await sleep(1300);
      assert.equal(await s.release('a', g.epoch), false);
      const st = await s.read();
      assert.equal(st.holder, null);
      assert.equal(st.epoch, g.epoch);
    });

    test('a stale epoch is refused after the same holder was granted again', async () => {
      const s = await open(fresh());
      const g1 = await s.tryAcquire('a', 10_000);
      assert.ok(g1.acquired);
      const g2 = await s.tryAcquire('a', 10_000);
      assert.ok(g2.acquired, 'the holder could not re-acquire its own lock');
      assert.ok(g2.epoch > g1.epoch);
      assert.equal(await s.renew('a', g1.epoch, 10_000), null);
      assert.equal(await s.release('a', g1.epoch), false);
      assert.equal((await s.read()).holder, 'a');
      assert.ok(await s.release('a', g2.epoch));
    });

    test('renewing extends the hold past the first expiry', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const g = await a.tryAcquire('a', 2000);
      assert.ok(g.acquired);
      await sleep(1200);
      const r = await a.renew('a', g.epoch, 2000);
      assert.ok(r);
      assert.ok(r.remainingMs > 1500, `remainingMs ${r.remainingMs}`);
      await sleep(1200); // past the first expiry, within the renewed one
      const denied = await b.tryAcquire('b', 2000);
      assert.equal(denied.acquired, false);
    });

    test('epochs keep increasing across many grants to different holders', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      let last = 0;
      for (let i = 0; i < 5; i += 1) {
        for (const [s, who] of [
          [a, 'a'],
          [b, 'b'],
        ] as const) {
          const g = await s.tryAcquire(who, 10_000);
          assert.ok(g.acquired);
          assert.ok(g.epoch > last);
          last = g.epoch;
          assert.ok(await s.release(who, g.epoch));
        }
      }
      assert.equal((await a.read()).epoch, last);
    });

    test('the epoch floor: the holder raises its epoch, later grants count on from it, others cannot', async () => {
      const name = fresh();
      const [a, b] = [await open(name), await open(name)];
      const g = await a.tryAcquire('a', 5000);
      assert.ok(g.acquired);
      assert.equal(await b.raiseEpoch('b', g.epoch, g.epoch + 50, 5000), null, 'a non-holder raised the epoch');
      assert.equal(await a.raiseEpoch('a', g.epoch + 1, g.epoch + 50, 5000), null, 'a stale epoch raised it');
      const raised = await a.raiseEpoch('a', g.epoch, g.epoch + 50, 5000);
      assert.equal(raised?.epoch, g.epoch + 50);
      assert.ok(raised && raised.remainingMs > 4000, `remainingMs ${raised?.remainingMs}`);
      assert.equal((await b.read()).epoch, g.epoch + 50);
      // A floor below the current epoch changes nothing; the old epoch no longer renews.
      assert.equal((await a.raiseEpoch('a', g.epoch + 50, 3, 5000))?.epoch, g.epoch + 50);
      assert.equal(await a.renew('a', g.epoch, 5000), null, 'the epoch before the raise still renews');
      assert.ok(await a.renew('a', g.epoch + 50, 5000));
      assert.ok(await a.release('a', g.epoch + 50));
      const next = await b.tryAcquire('b', 5000);
      assert.ok(next.acquired);
      assert.ok(next.epoch > g.epoch + 50, `next grant ${next.epoch} is not above the floor ${g.epoch + 50}`);
    });

    test('an unreachable store fails within its deadline with a retryable error', async (t) => {
      if (!options.unreachable) {
        t.skip('no unreachable factory for this backend');
        return;
      }
      const s = await options.unreachable();
      opened.push(s);
      const t0 = Date.now();
      await assert.rejects(s.tryAcquire('a', 5000), (err: unknown) => {
        assert.ok(err instanceof LockStoreError, `not a LockStoreError: ${String(err)}`);
        assert.ok(err.retryable, `not retryable: ${err.code}`);
        return true;
      });
      assert.ok(Date.now() - t0 < (options.unreachableDeadlineMs ?? 3000) + 1000, 'took longer than its deadline');
    });
  });
}
