// Failover benchmark: two real `highlander run` processes per lock store.
//   crash:    SIGKILL the leader; the follower's takeover is measured against the moment the
//             dead leader's hold expired (its last renewal sent + leaseDuration): the overhead
//             of noticing; also reported from the kill itself.
//   graceful: SIGTERM the leader; time until the other holds the lock.
//   renew:    latency of the leader's renewals.
// Prints one JSON line per backend. Usage: node --import tsx bench/failover.ts [--rounds N] [--backend B]
import { parseArgs } from 'node:util';
import type { Backend } from '../locks/lock-store.ts';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../testkit/backends.ts';
import { OperatorProcess } from '../testkit/operator-process.ts';
import { percentile, round1 } from './stats.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, backend: { type: 'string', multiple: true } },
});
const rounds = Number(values.rounds);
const backends = (values.backend ?? BACKENDS) as Backend[];
const timings = FAST_TIMINGS;

let counter = 0;
/** Starts a process and waits until it leads (`expectLeader`) or follows a leader. */
async function start(env: Record<string, string>, expectLeader: boolean): Promise<OperatorProcess> {
  const p = new OperatorProcess(`c${(counter += 1)}`, env);
  if (expectLeader) await p.becameLeader(STARTUP_MS);
  else await p.waitForLog((l) => l.msg === 'new leader observed', STARTUP_MS);
  return p;
}

const num = (v: unknown): number => Number(v);

async function benchBackend(backend: Backend): Promise<Record<string, unknown>> {
  const env = operatorEnv(backend, uniqueTenant('bench'), timings, { HIGHLANDER_LOG_LEVEL: 'debug' });
  const crashOverhead: number[] = [];
  const crashFromKill: number[] = [];
  const handover: number[] = [];
  const renew: number[] = [];
  let leader = await start(env, true);
  let follower = await start(env, false);
  const all: OperatorProcess[] = [leader, follower];
  try {
    for (let i = 0; i < rounds; i += 1) {
      // Let a few renewals happen, then crash the leader.
      await new Promise((r) => setTimeout(r, timings.retryMs * 2 + Math.random() * timings.retryMs));
      const from = follower.lines.length;
      const killedAt = Date.now();
      leader.signal('SIGKILL');
      await leader.exited;
      const took = await follower.becameLeader(timings.leaseMs + 10_000, from);
      const lastRenew = Math.max(
        ...leader.logs('renewed').map((l) => num(l.renewSentAt)),
        ...leader.logs('became leader').map((l) => num(l.leaderAt)),
      );
      crashOverhead.push(num(took.leaderAt) - (lastRenew + timings.leaseMs));
      crashFromKill.push(num(took.leaderAt) - killedAt);
      renew.push(...leader.logs('renewed').map((l) => num(l.latencyMs)));
      leader = follower;
      follower = await start(env, false);
      all.push(follower);
    }
    for (let i = 0; i < rounds; i += 1) {
      await new Promise((r) => setTimeout(r, timings.retryMs));
      const from = follower.lines.length;
      const termAt = Date.now();
      leader.signal('SIGTERM');
      const took = await follower.becameLeader(timings.leaseMs + 10_000, from);
      handover.push(num(took.leaderAt) - termAt);
      await leader.exited;
      renew.push(...leader.logs('renewed').map((l) => num(l.latencyMs)));
      leader = follower;
      follower = await start(env, false);
      all.push(follower);
    }
  } finally {
    await Promise.all(all.map((p) => p.kill()));
  }
  return {
    bench: 'failover',
    backend,
    lease_ms: timings.leaseMs,
    renew_deadline_ms: timings.renewDeadlineMs,
    retry_ms: timings.retryMs,
    rounds,
    crash_overhead_ms_p50: round1(percentile(crashOverhead, 50)),
    crash_overhead_ms_p99: round1(percentile(crashOverhead, 99)),
    crash_from_kill_ms_p50: round1(percentile(crashFromKill, 50)),
    crash_from_kill_ms_p99: round1(percentile(crashFromKill, 99)),
    handover_ms_p50: round1(percentile(handover, 50)),
    handover_ms_p99: round1(percentile(handover, 99)),
    renew_ms_p50: round1(percentile(renew, 50)),
    renew_ms_p99: round1(percentile(renew, 99)),
    renew_samples: renew.length,
  };
}

for (const backend of backends) {
  console.log(JSON.stringify(await benchBackend(backend)));
}
