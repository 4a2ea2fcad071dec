// Taking each lock store away and bringing it back, for the outage and chaos tests: a Redis of
// the test's own (with or without persistence), the shared PostgreSQL frozen then restarted,
// and servers that are only frozen (the API server as the Lease store, the Spanner emulator).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import type { Backend } from '../locks/lock-store.ts';
import { repoRoot } from './kube.ts';
import { startRedis } from './redis-server.ts';

const stateDir = `${repoRoot}.cluster`;

/** The pid in a pid file. */
export const pidOf = (file: string): number => Number(readFileSync(file, 'utf8').trim());
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
export const signalTree = (pid: number, sig: NodeJS.Signals): void => {
  for (const p of [pid, ...children(pid)]) process.kill(p, sig);
};

/** How a test takes a store away and brings it back, plus the operator settings to reach it. */
export interface StoreControl {
  env: Record<string, string>;
  stop(): Promise<void>;
  start(): Promise<void>;
  cleanup(): Promise<void>;
}

/** A Redis of the test's own; persisting to an append-only file, a restart keeps the epoch counter. */
export async function dedicatedRedis(persist = true): Promise<StoreControl> {
  const redis = await startRedis({ persist });
  return { env: { HIGHLANDER_REDIS_ADDR: redis.addr }, start: redis.start, stop: redis.stop, cleanup: redis.cleanup };
}

/** The shared PostgreSQL: frozen, then thawed and restarted for real (every connection drops). */
export function sharedPostgres(): StoreControl {
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
export function frozenServer(pidFile: string): StoreControl {
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

/** How each lock store is taken away and brought back in outage and chaos tests. */
export async function storeControl(backend: Backend): Promise<StoreControl> {
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
