// Three real `highlander await -- node app.mjs FILE` processes on every real lock store. The app
// appends `epoch pid` lines while it runs. SIGTERM, SIGKILL, SIGSTOP beyond the lease and a store
// outage of the leader each move the app to another process; at no sample do two apps run; no
// line of an older epoch follows a newer one; after SIGTERM the next app starts within 1 s.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, uniqueTenant } from '../../testkit/backends.ts';
import { Toxiproxy } from '../../testkit/toxiproxy.ts';
import type { Candidate } from './candidates.ts';
import { isRunning, startCandidate, termsOf, watchApps } from './candidates.ts';

const { leaseMs, renewDeadlineMs, retryMs } = FAST_TIMINGS;
let tox: Toxiproxy;
let dir: string;
const running: Candidate[] = [];

before(async () => {
  tox = await Toxiproxy.start();
  dir = mkdtempSync(`${tmpdir()}/hl-await-`);
});
after(async () => {
  await Promise.all(running.splice(0).map((c) => c.process.kill()));
  await tox?.stop();
  rmSync(dir, { recursive: true, force: true });
});

/** Resolves once the file shows a term newer than `epoch`; returns it. */
async function nextTerm(file: string, epoch: number, timeoutMs: number) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const term = termsOf(file).find((t) => t.epoch > epoch);
    if (term) return term;
    if (Date.now() > deadline) throw new Error(`no app of an epoch above ${epoch} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

/** The candidate whose app wrote the latest term. */
function holderOf(file: string): { c: Candidate; epoch: number; pid: number } {
  const last = termsOf(file).at(-1)!;
  const c = running.find((r) => r.process.logs('command started').some((l) => l.childPid === last.pid));
  assert.ok(c, `no candidate started app ${last.pid}`);
  return { c, epoch: last.epoch, pid: last.pid };
}

/** On a failure, what each candidate logged last, so a run that fails once can be explained. */
async function explained(body: () => Promise<void>): Promise<void> {
  try {
    await body();
  } catch (err) {
    for (const c of running) {
      const tail = c.process.lines.slice(-12).map((l) => JSON.stringify(l));
      console.log(`${c.process.name}, last lines:\n  ${tail.join('\n  ')}`);
    }
    throw err;
  }
}

for (const backend of BACKENDS) {
  describe(`highlander await on ${backend}`, () => {
    test('SIGTERM, SIGKILL, SIGSTOP beyond the lease and a store outage each move the app, one at a time', () =>
      explained(async () => {
        const tenant = uniqueTenant(`aw-${backend === 'db' ? 'pg' : backend.slice(0, 4)}`);
        const file = `${dir}/${tenant}.lines`;
        const start = async (name: string): Promise<Candidate> => {
          const c = await startCandidate({ tox, backend, tenant, name, dir, file });
          running.push(c);
          await c.process.waitForLog((l) => l.msg === 'command started' || l.msg === 'new leader observed', STARTUP_MS);
          return c;
        };
        const watch = watchApps(file);
        const figures: Record<string, number> = {};
        for (const name of ['a', 'b', 'c']) await start(name);

        // SIGTERM: the app stops, the lock is released, the next app starts at once.
        let h = holderOf(file);
        const termAt = Date.now();
        h.c.process.signal('SIGTERM');
        let next = await nextTerm(file, h.epoch, 5000);
        figures.sigtermToNextAppMs = next.first - termAt;
        assert.ok(figures.sigtermToNextAppMs < 1000, `next app after ${figures.sigtermToNextAppMs} ms`);
        assert.deepEqual(await h.c.process.exited, { code: 0, signal: null }, h.c.process.stderr.join('\n'));
        assert.equal(isRunning(h.pid), false);
        await start('d');

        // SIGKILL of the leader's whole group (a crashed pod): the next app starts when the hold expires.
        h = holderOf(file);
        const killAt = Date.now();
        h.c.process.signalGroup('SIGKILL');
        next = await nextTerm(file, h.epoch, leaseMs + 5000);
        figures.sigkillToNextAppMs = next.first - killAt;
        assert.ok(figures.sigkillToNextAppMs >= leaseMs - retryMs - 250, `took over before the hold expired`);
        await start('e');

        // SIGSTOP beyond the lease (a frozen pod): another takes over; once thawed, the old app is killed.
        h = holderOf(file);
        const mark = h.c.process.lines.length;
        h.c.process.signalGroup('SIGSTOP');
        await nextTerm(file, h.epoch, leaseMs + 5000);
        const thawAt = Date.now();
        h.c.process.signalGroup('SIGCONT');
        const exited = await h.c.process.waitForLog((l) => l.msg === 'command exited', renewDeadlineMs + 3000, mark);
        assert.equal(exited.reason, 'term-ended');
        // Thawed past the lease: no time is left before a successor may hold the lock, so SIGKILL
        // follows the SIGTERM at once (this app exits on SIGTERM by itself, which may come first).
        const stopping = h.c.process.lines.slice(mark).find((l) => l.msg === 'stopping the command');
        assert.equal(stopping?.killAfterMs, 0, JSON.stringify(stopping));
        const thawEnd = Date.now();
        await sleep(100);
        assert.equal(isRunning(h.pid), false, 'the thawed app still runs');

        // The leader alone loses the store: its app stops at the renew deadline, another takes over.
        h = holderOf(file);
        const cutAt = Date.now();
        await tox.cut(h.c.proxy);
        next = await nextTerm(file, h.epoch, leaseMs + 10_000);
        figures.outageToNextAppMs = next.first - cutAt;
        const stopped = h.c.process.logs('stopping the command').at(-1);
        assert.equal(stopped?.reason, 'renew-deadline');
        assert.equal(isRunning(h.pid), false);
        await tox.heal(h.c.proxy);

        await sleep(200);
        const seen = watch.stop();
        const terms = termsOf(file); // throws on an older epoch after a newer one
        assert.ok(terms.length >= 5, `${terms.length} terms`);
        // Two apps ran at once only in the moment a thawed pod's app ran before its own await, thawed
        // with it, killed it; its writes were refused by its epoch (the file check above).
        const outside = seen.overlaps.filter((at) => at < thawAt || at > thawEnd + 50);
        assert.deepEqual(outside, [], `two apps ran at once outside the thaw of the paused pod`);
        figures.thawedAppRanMs = seen.overlaps.length ? seen.overlaps.at(-1)! - seen.overlaps[0]! + 10 : 0;
        assert.ok(figures.thawedAppRanMs < 1000, `the thawed app ran ${figures.thawedAppRanMs} ms`);
        assert.ok(seen.maxRunning <= 2);
        const refused = existsSync(`${file}.refused`) ? readFileSync(`${file}.refused`, 'utf8').trim().split('\n') : [];
        console.log(
          JSON.stringify({
            backend,
            ...figures,
            terms: terms.length,
            refusedWrites: refused.length,
            samples: seen.samples,
          }),
        );
        await Promise.all(running.splice(0).map((c) => c.process.kill()));
      }));
  });
}
