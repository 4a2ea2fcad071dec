// `highlander await` failover benchmark: two real `highlander await -- node -e …` processes per
// lock store, each in a process group of its own (a pod's container).
//   crash:    SIGKILL the leader's group (await and its command); the time until the follower's
//             command is started, measured from the moment the dead leader's hold expired (its
//             last renewal sent + leaseDuration: the follower cannot be granted the lock before)
//             and from the kill itself.
//   graceful: SIGTERM the leading await alone (a pod's PID 1); it stops its command, releases the
//             lock, and the follower's command is started: the time from the signal.
// "Started" is the follower's `command started` log line (right after the spawn).
// Prints one JSON line per backend. Usage: node --import tsx bench/await.ts [--rounds N] [--backend B]
import { parseArgs } from 'node:util';
import type { Backend } from '../locks/lock-store.ts';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../testkit/backends.ts';
import { OperatorProcess, type LogLine } from '../testkit/operator-process.ts';
import { repoRoot } from '../testkit/kube.ts';
import { percentile, round1 } from './stats.ts';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '20' }, backend: { type: 'string', multiple: true } },
});
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1) {
  console.error(`--rounds: must be a whole number above 0 (got ${JSON.stringify(values.rounds)})`);
  process.exit(2);
}
const backends = (values.backend ?? BACKENDS) as Backend[];
for (const b of backends) {
  if (!BACKENDS.includes(b)) {
    console.error(`--backend: must be one of ${BACKENDS.join(', ')} (got ${JSON.stringify(b)})`);
    process.exit(2);
  }
}
const timings = FAST_TIMINGS;
/** The gated command: runs until SIGTERM. */
const CHILD = "process.on('SIGTERM', () => process.exit(0)); setInterval(() => {}, 1000)";

let counter = 0;
/** Starts a candidate and waits until its command runs (`expectLeader`) or it follows a leader. */
async function start(env: Record<string, string>, expectLeader: boolean): Promise<OperatorProcess> {
  const command = [process.execPath, `${repoRoot}bin/highlander.js`, 'await', '--', process.execPath, '-e', CHILD];
  const p = new OperatorProcess(`a${(counter += 1)}`, env, [], command, { detached: true });
  await p.waitForLog((l) => l.msg === (expectLeader ? 'command started' : 'new leader observed'), STARTUP_MS);
  return p;
}

const num = (v: unknown): number => Number(v);
const started = (p: OperatorProcess, from: number, ms: number): Promise<LogLine> =>
  p.waitForLog((l) => l.msg === 'command started', ms, from);

async function benchBackend(backend: Backend): Promise<Record<string, unknown>> {
  const env = operatorEnv(backend, uniqueTenant('bench-await'), timings, { HIGHLANDER_LOG_LEVEL: 'debug' });
  const beyondLease: number[] = [];
  const fromKill: number[] = [];
  const fromTerm: number[] = [];
  let leader = await start(env, true);
  let follower = await start(env, false);
  const all: OperatorProcess[] = [leader, follower];
  try {
    for (let i = 0; i < rounds; i += 1) {
      // Let a few renewals happen, then crash the leader's container.
      await new Promise((r) => setTimeout(r, timings.retryMs * 2 + Math.random() * timings.retryMs));
      const from = follower.lines.length;
      const killedAt = Date.now();
      leader.signalGroup('SIGKILL');
      await leader.exited;
      const next = await started(follower, from, timings.leaseMs + 10_000);
      const lastRenew = Math.max(
        ...leader.logs('renewed').map((l) => num(l.renewSentAt)),
        ...leader.logs('became leader').map((l) => num(l.leaderAt)),
      );
      beyondLease.push(num(next.time) - (lastRenew + timings.leaseMs));
      fromKill.push(num(next.time) - killedAt);
      leader = follower;
      follower = await start(env, false);
      all.push(follower);
    }
    for (let i = 0; i < rounds; i += 1) {
      await new Promise((r) => setTimeout(r, timings.retryMs));
      const from = follower.lines.length;
      const termAt = Date.now();
      leader.signal('SIGTERM');
      const next = await started(follower, from, timings.leaseMs + 10_000);
      fromTerm.push(num(next.time) - termAt);
      await leader.exited;
      leader = follower;
      follower = await start(env, false);
      all.push(follower);
    }
  } finally {
    await Promise.all(all.map((p) => p.kill()));
  }
  const figures = (name: string, xs: number[]) => ({
    [`${name}_ms_p50`]: round1(percentile(xs, 50)),
    [`${name}_ms_p99`]: round1(percentile(xs, 99)),
  });
  return {
    bench: 'await-failover',
    backend,
    lease_ms: timings.leaseMs,
    renew_deadline_ms: timings.renewDeadlineMs,
    retry_ms: timings.retryMs,
    rounds,
    ...figures('sigkill_beyond_lease', beyondLease),
    ...figures('sigkill_from_kill', fromKill),
    ...figures('sigterm_to_next_child', fromTerm),
  };
}

for (const backend of backends) {
  console.log(JSON.stringify(await benchBackend(backend)));
}
