// Failover between real `highlander run` processes on every real lock store:
// crash (SIGKILL), graceful stop (SIGTERM) and a paused leader (SIGSTOP beyond the lease).
import assert from 'node:assert/strict';
import { afterEach, describe, test } from 'node:test';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import type { OperatorProcess } from '../../testkit/operator-process.ts';
import { leaderAndFollower } from '../../testkit/operator-process.ts';

const { leaseMs, retryMs, renewDeadlineMs } = FAST_TIMINGS;
const running: OperatorProcess[] = [];

afterEach(async () => {
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

/** A leader `a` and a follower `b` that has seen it, on `backend`. */
const pair = (backend: (typeof BACKENDS)[number]): Promise<[OperatorProcess, OperatorProcess]> =>
  leaderAndFollower(operatorEnv(backend, uniqueTenant(backend === 'db' ? 'pg' : backend)), running, STARTUP_MS);

const num = (v: unknown): number => {
  assert.equal(typeof v, 'number');
  return v as number;
};

for (const backend of BACKENDS) {
  describe(`failover on ${backend}`, () => {
    test('SIGKILL: the follower takes over when the dead leader’s hold expires, not before', async () => {
      const [a, b] = await pair(backend);
      const first = num(a.logs('became leader')[0]?.epoch);
      const killedAt = Date.now();
      a.signal('SIGKILL');
      const line = await b.becameLeader(leaseMs + 5000);
      const took = num(line.leaderAt) - killedAt;
      // The hold lasts leaseMs from the last renewal, sent at most retryMs before the kill.
      assert.ok(took >= leaseMs - retryMs - 250, `took over ${took} ms after the kill: before the hold expired`);
      assert.ok(took <= leaseMs + 1500, `took over ${took} ms after the kill`);
      assert.ok(num(line.epoch) > first, 'epoch did not increase');
    });

    test('SIGTERM: the leader stops its work, then releases, and the follower takes over at once', async () => {
      const [a, b] = await pair(backend);
      a.signal('SIGTERM');
      const exit = await a.exited;
      assert.equal(exit.code, 0, `exit ${JSON.stringify(exit)}; stderr: ${a.stderr.join('\n')}`);
      const msgs = a.lines.map((l) => l.msg);
      const ended = msgs.indexOf('leadership ended');
      const released = msgs.indexOf('lock released');
      assert.ok(ended >= 0 && released > ended, `order was ${msgs.join(', ')}`);
      assert.equal(a.lines[released]?.released, true);
      const line = await b.becameLeader(3000);
      const handover = num(line.leaderAt) - num(a.lines[released]?.releasedAt);
      assert.ok(handover < 1000, `handover took ${handover} ms`);
      assert.equal(line.previousLeader, a.logs('campaigning for leadership')[0]?.identity);
    });

    test('SIGSTOP beyond the lease: the other takes over; the paused one resumes as a follower', async () => {
      const [a, b] = await pair(backend);
      const epoch = num(a.logs('became leader')[0]?.epoch);
      a.signal('SIGSTOP');
      const line = await b.becameLeader(leaseMs + 5000);
      assert.ok(num(line.epoch) > epoch);
      const mark = a.lines.length;
      a.signal('SIGCONT');
      const ended = await a.waitForLog((l) => l.msg === 'leadership ended', renewDeadlineMs + 3000, mark);
      assert.equal(ended.epoch, epoch);
      assert.ok(['renew-deadline', 'lost'].includes(String(ended.reason)), `reason ${String(ended.reason)}`);
      await new Promise((r) => setTimeout(r, 2 * retryMs));
      assert.equal(a.logs('became leader').length, 1, 'the paused leader took the lock back');
      assert.equal(b.logs('leadership ended').length, 0, 'the new leader lost the lock');
    });
  });
}
