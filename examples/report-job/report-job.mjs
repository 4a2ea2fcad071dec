// An application that must run its job on one replica at a time, with Highlander's election
// library. Run several copies: one leads and writes; stop it (Ctrl-C, SIGTERM) and another takes
// over at once. Every line carries the term's epoch, so that whatever reads the output can tell a
// deposed leader's late line from the current leader's.
//
//   REDIS_ADDR=127.0.0.1:6379 node report-job.mjs /tmp/report.txt      (Redis)
//   LEASE_NAMESPACE=default node report-job.mjs /tmp/report.txt          (Kubernetes Lease, in-cluster
//                                                                        or KUBECONFIG=path)
import { appendFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { runWhileLeader } from 'highlander/election';

const out = process.argv[2] ?? '/tmp/report.txt';
const store = process.env.REDIS_ADDR
  ? { type: 'redis', addr: process.env.REDIS_ADDR }
  : { type: 'kubernetes', namespace: process.env.LEASE_NAMESPACE ?? 'default', kubeconfig: process.env.KUBECONFIG };

const stop = new AbortController();
for (const sig of ['SIGTERM', 'SIGINT']) process.once(sig, () => stop.abort());

await runWhileLeader(
  {
    store,
    lock: process.env.LOCK ?? 'report-job',
    identity: process.env.IDENTITY ?? hostname(),
    timings: { leaseDuration: '3s', renewDeadline: '2s', retryPeriod: '500ms' },
    signal: stop.signal,
    onElection: (election) => console.log(JSON.stringify({ msg: 'campaigning', identity: election.identity })),
  },
  // Runs at the start of every term; `signal` aborts when the term ends, and the lock is released
  // only once this function has returned.
  async (signal, epoch, term) => {
    console.log(JSON.stringify({ msg: 'leading', epoch, pid: process.pid }));
    while (!signal.aborted) {
      // The renew deadline is checked right before the write, not only by the signal: a process
      // paused past it must not write.
      if (term.budgetMs() > 0) appendFileSync(out, `${epoch} ${process.pid} ${Date.now()}\n`);
      await sleep(100, undefined, { signal }).catch(() => undefined);
    }
    console.log(JSON.stringify({ msg: 'stopped leading', epoch, reason: String(signal.reason) }));
  },
);
console.log(JSON.stringify({ msg: 'left the election' }));
