// Three real `highlander elect` sidecars on every real lock store, asked every 20 ms: across 20
// failovers (SIGTERM and SIGKILL of the leader, each replaced) every sidecar names the store's
// holder within 1 s of each change and never a holder the store did not have within that second;
// while the leader's own store is cut, that sidecar answers 503 with name null, never a name.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { configuredId } from '../../election/identity.ts';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, uniqueTenant } from '../../testkit/backends.ts';
import { Toxiproxy } from '../../testkit/toxiproxy.ts';
import { WITHIN_MS, followLags, percentile, staleAnswers } from './checks.ts';
import type { Sidecar, Truth } from './sidecars.ts';
import { readTruth, startSidecar } from './sidecars.ts';

const FAILOVERS = 20;
const { leaseMs, retryMs } = FAST_TIMINGS;
/** The sidecar's default --max-staleness with these timings (the retry period). */
const STALE_AFTER_MS = retryMs;
let tox: Toxiproxy;
let dir: string;
const all: Sidecar[] = [];

before(async () => {
  tox = await Toxiproxy.start();
  dir = mkdtempSync(`${tmpdir()}/hl-elect-`);
});
after(async () => {
  await Promise.all(all.map((s) => s.stopSampling()));
  await Promise.all(all.map((s) => s.process.kill()));
  await tox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves with the store's holder once it differs from `not` (and is not null). */
async function holderOtherThan(reads: Truth[], not: string | null, timeoutMs: number): Promise<Truth> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const last = reads.at(-1);
    if (last?.holder && last.holder !== not) return last;
    if (Date.now() > deadline) throw new Error(`the store held ${last?.holder} still after ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** Waits until every live sidecar names `holder`. */
async function allName(live: Sidecar[], holder: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!live.every((s) => s.samples.at(-1)?.holder === holder)) {
    if (Date.now() > deadline) {
      const seen = live.map((s) => `${s.slot}: ${JSON.stringify(s.samples.at(-1))}`).join('; ');
      throw new Error(`not every sidecar names ${holder} after ${timeoutMs} ms: ${seen}`);
    }
    await sleep(10);
  }
}

for (const backend of BACKENDS) {
  describe(`highlander elect on ${backend}`, () => {
    test(`${FAILOVERS} failovers and a store cut: every answer the store's holder within 1 s, never stale`, async () => {
      const election = uniqueTenant(`el-${backend === 'db' ? 'pg' : backend.slice(0, 4)}`);
      const proxies = new Map<string, string>();
      const truth = await readTruth(backend, election);
      const start = async (slot: string): Promise<Sidecar> => {
        const s = await startSidecar({ tox, backend, election, slot, dir, proxies });
        all.push(s);
        return s;
      };
      const mine: Sidecar[] = [];
      const live = new Map<string, Sidecar>();
      for (const slot of ['a', 'b', 'c']) {
        const s = await start(slot);
        mine.push(s);
        live.set(slot, s);
      }
      let h = await holderOtherThan(truth.reads, null, STARTUP_MS);
      await allName([...live.values()], h.holder!, 5000);
      const exits: string[] = [];

      for (let i = 0; i < FAILOVERS; i += 1) {
        const slot = configuredId(h.holder!);
        const leader = live.get(slot)!;
        const sig = i % 2 === 0 ? 'SIGTERM' : 'SIGKILL';
        leader.offAt = Date.now();
        if (sig === 'SIGKILL') leader.process.signalGroup('SIGKILL');
        else leader.process.signal('SIGTERM');
        // The replacement starts while the others take over, as a Deployment's new pod would.
        const replacement = start(slot);
        const next = await holderOtherThan(truth.reads, h.holder, leaseMs + 5000);
        const exit = await leader.process.exited;
        if (sig === 'SIGTERM' && exit.code !== 0) exits.push(`${slot} exited ${JSON.stringify(exit)} on SIGTERM`);
        await leader.stopSampling();
        const s = await replacement;
        mine.push(s);
        live.set(slot, s);
        h = await holderOtherThan(truth.reads, null, 1000);
        assert.equal(h.holder, next.holder, 'the holder changed again without a failover');
        await allName([...live.values()], h.holder!, 5000);
        // Each holder holds past the 1 s the others are given to follow, so every change is checked.
        await sleep(WITHIN_MS + 500);
      }

      // The leader alone loses its store (a blackhole: calls hang until their deadline).
      const cut = live.get(configuredId(h.holder!))!;
      const cutAt = Date.now();
      cut.offAt = cutAt;
      await tox.cut(proxies.get(`${cut.slot}:name`)!);
      const taken = await holderOtherThan(truth.reads, h.holder, leaseMs + 5000);
      await sleep(WITHIN_MS);
      const healAt = Date.now();
      await tox.heal(proxies.get(`${cut.slot}:name`)!);
      const during = cut.samples.filter((a) => a.sent >= cutAt + STALE_AFTER_MS + 100 && a.got <= healAt);
      const named = during.filter((a) => a.status !== 503 || a.name !== null);
      await allName([...live.values()], taken.holder!, 10_000);
      const caughtUpMs = (cut.samples.find((a) => a.sent >= healAt && a.holder === taken.holder)?.got ?? NaN) - healAt;

      await Promise.all(mine.map((s) => s.stopSampling()));
      await truth.stop();
      const reads = truth.reads;
      // The cut sidecar is held to the changes again once it caught up after the heal.
      const excused = (s: Sidecar, at: number): boolean =>
        s === cut ? at >= cutAt && at <= healAt + caughtUpMs + 50 : s.offAt !== undefined && s.offAt <= at;
      const follow = followLags(mine, reads, excused);
      const stale = mine.flatMap((s) => staleAnswers(s, reads).map((a) => `${s.slot}: ${JSON.stringify(a)}`));
      const answers = mine.flatMap((s) => s.samples.filter((a) => a.status !== 0));
      const unknownOutsideCut: Record<string, number> = {};
      for (const a of answers)
        if (a.status === 503 && !cut.samples.includes(a) && a.unknown !== 'starting')
          unknownOutsideCut[a.unknown!] = (unknownOutsideCut[a.unknown!] ?? 0) + 1;
      console.log(
        JSON.stringify({
          backend,
          failovers: FAILOVERS,
          changes: follow.changes,
          followLagP50Ms: percentile(follow.lags, 50),
          followLagP99Ms: percentile(follow.lags, 99),
          followLagMaxMs: Math.max(...follow.lags),
          answers: answers.length,
          unknownOutsideCut,
          cutAnswers: during.length,
          cutToTakeoverMs: taken.got - cutAt,
          caughtUpAfterHealMs: caughtUpMs,
        }),
      );
      assert.deepEqual(exits, []);
      assert.deepEqual(stale, [], 'answers that named a holder the store did not have within 1 s');
      assert.deepEqual(follow.late, [], 'sidecars that did not name the new holder within 1 s');
      assert.ok(follow.changes >= FAILOVERS + 1, `${follow.changes} holders seen`);
      assert.ok(during.length > 20, `only ${during.length} answers from the cut sidecar`);
      assert.deepEqual(named, [], 'the cut sidecar named someone');
      assert.ok(caughtUpMs < 5000, `caught up ${caughtUpMs} ms after the heal`);
      await Promise.all(mine.map((s) => s.process.kill()));
    });
  });
}
