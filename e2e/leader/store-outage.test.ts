// A lock store that goes away while a leader holds the lock: the leader stops acting at its
// renew deadline, nobody crashes, followers keep trying, and leadership resumes (with a
// higher epoch) once the store is back.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Backend } from '../../locks/lock-store.ts';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { repoRoot } from '../../testkit/kube.ts';
import { startRedis } from '../../testkit/redis-server.ts';
import type { OperatorProcess } from '../../testkit/operator-process.ts';
import { leaderAndFollower } from '../../testkit/operator-process.ts';

const { leaseMs, renewDeadlineMs } = FAST_TIMINGS;
const stateDir = `${repoRoot}.cluster`;
const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').trim());
const children = (pid: number): number[] => {
  try {
    return execFileSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return [];
  }
};
/** Freezes or thaws a process and its children: connections to it hang, as in a network partition. */
const signalTree = (pid: number, sig: NodeJS.Signals): void => {
  for (const p of [pid, ...children(pid)]) process.kill(p, sig);
};

/** How a test takes a store away and brings it back, plus the operator settings to reach it. */
interface StoreControl {
  env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A Redis of the test's own, persisting to an append-only file so a restart keeps the epoch counter. */
async function dedicatedRedis(): Promise<StoreControl> {
  const redis = await startRedis({ persist: true });
  return { env: { HIGHLANDER_REDIS_ADDR: redis.addr }, start: redis.start, stop: redis.stop, cleanup: redis.cleanup };
}

/** The shared PostgreSQL: frozen, then thawed and restarted for real (every connection drops). */
function sharedPostgres(): StoreControl {
  const dir = readFileSync(`${stateDir}/services/postgres.dir`, 'utf8').trim();
  const postmaster = (): number => Number(readFileSync(`${dir}/data/postmaster.pid`, 'utf8').split('\n')[0]);
  let frozen: number | undefined;
  return {
    env: {},
    stop: () => {
      frozen = postmaster();
      signalTree(frozen, 'SIGSTOP');
      return Promise.resolve();
    },
    start: () => {
      if (frozen) signalTree(frozen, 'SIGCONT');
      frozen = undefined;
      execFileSync(
        'runuser',
        [
          '-u',
          'postgres',
          '--',
          '/usr/lib/postgresql/15/bin/pg_ctl',
          '-D',
          `${dir}/data`,
          '-w',
          '-m',
          'fast',
          'restart',
        ],
        {
          cwd: dir,
          stdio: 'ignore',
        },
      );
      writeFileSync(`${stateDir}/services/postgres.pid`, `${postmaster()}\n`);
      return Promise.resolve();
    },
    cleanup() {
      if (frozen) signalTree(frozen, 'SIGCONT');
      return Promise.resolve();
    },
  };
}

/** A shared server frozen with SIGSTOP and thawed with SIGCONT (the API server, the emulator). */
function frozenServer(pidFile: string): StoreControl {
  let frozen = false;
  const thaw = (): Promise<void> => {
    if (frozen) signalTree(pidOf(pidFile), 'SIGCONT');
    frozen = false;
    return Promise.resolve();
  };
  return {
    env: {},
    stop: () => {
      signalTree(pidOf(pidFile), 'SIGSTOP');
      frozen = true;
      return Promise.resolve();
    },
    start: thaw,
    cleanup: thaw,
  };
}

async function control(backend: Backend): Promise<StoreControl> {
  switch (backend) {
    case 'kubernetes':
      return frozenServer(`${stateDir}/cluster/pids/kube-apiserver.pid`);
    case 'redis':
      return dedicatedRedis();
    case 'db':
      return sharedPostgres();
    case 'spanner':
      return frozenServer(`${stateDir}/services/spanner.pid`);
  }
}

const running: OperatorProcess[] = [];
const controls: StoreControl[] = [];
afterEach(async () => {
  await Promise.all(controls.splice(0).map((c) => c.cleanup()));
  await Promise.all(running.splice(0).map((p) => p.kill()));
});

for (const backend of BACKENDS) {
  describe(`lock store outage on ${backend}`, () => {
    test('the leader steps down at its renew deadline, nobody crashes, leadership resumes after', async () => {
      const store = await control(backend);
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
