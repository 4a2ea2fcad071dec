// A lock store that goes away while a leader holds the lock: the leader stops acting at its
// renew deadline, nobody crashes, followers keep trying, and leadership resumes (with a
// higher epoch) once the store is back.
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { storeControl } from '../../testkit/store-control.ts';
import type { StoreControl } from '../../testkit/store-control.ts';
import type { OperatorProcess } from '../../testkit/operator-process.ts';
import { leaderAndFollower } from '../../testkit/operator-process.ts';

const { leaseMs, renewDeadlineMs } = FAST_TIMINGS;
const running: OperatorProcess[] = [];
const controls: StoreControl[] = [];
afterEach(async () => {
  await Promise.all(controls.splice(0).map((c) => c.cleanup()));
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

for (const backend of BACKENDS) {
  describe(`lock store outage on ${backend}`, () => {
    test('the leader steps down at its renew deadline, nobody crashes, leadership resumes after', async () => {
      const store = await storeControl(backend);
      controls.push(store);
      const env = operatorEnv(backend, uniqueTenant('outage'), FAST_TIMINGS, store.env);
      const [a, b] = await leaderAndFollower(env, running, STARTUP_MS);
      const first = a.logs('became leader')[0]!;

      const mark = { a: a.lines.length, b: b.lines.length };
      const stoppedAt = Date.now();
      await store.stop();
      const ended = await a.waitForLog((l) => l.msg === 'leadership ended', renewDeadlineMs + 3000, mark.a);
      assert.equal(ended.reason, 'renew-deadline');
      const steppedDownAfter = Number(ended.time) - stoppedAt;
      assert.ok(
        steppedDownAfter <= renewDeadlineMs + 500,
        `stepped down ${steppedDownAfter} ms after the outage began`,
      );
      // The store stays away longer than a lease: nobody leads, nobody crashes.
      await sleep(leaseMs);
      assert.equal(
        b.lines.slice(mark.b).filter((l) => l.msg === 'became leader').length,
        0,
        'someone led without a store',
      );

      await store.start();
      const next = await Promise.race([
        a.becameLeader(leaseMs + 15_000, mark.a),
        b.becameLeader(leaseMs + 15_000, mark.b),
      ]);
      assert.ok(Number(next.epoch) > Number(first.epoch), `epoch ${String(next.epoch)} after ${String(first.epoch)}`);
      for (const p of [a, b]) {
        assert.equal(
          await Promise.race([p.exited.then(() => 'exited'), sleep(10).then(() => 'running')]),
          'running',
          `${p.name} exited: ${p.stderr.join('\n')}`,
        );
      }
    });
  });
}
