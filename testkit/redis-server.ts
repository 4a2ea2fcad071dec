// A Redis server of a test's own on 127.0.0.1, to stop and start again: with an append-only file
// a restart keeps the epoch counter; without persistence it loses it (a store that forgets).
import { execFileSync, spawn } from 'node:child_process';
import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './free-port.ts';

/** A running test Redis. */
export interface TestRedis {
  /** host:port */
  addr: string;
  port: number;
  start: () => Promise<void>;
  /** SIGTERM, and wait until it exited. */
  stop: () => Promise<void>;
  /** Stops it and removes its files. */
  cleanup: () => Promise<void>;
}

/** Starts a Redis; `persist` keeps its data across restarts (appendonly, fsync always). */
export async function startRedis(opts: { persist: boolean }): Promise<TestRedis> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'hl-redis-'));
  const persistence = opts.persist ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let proc: ChildProcess | undefined;
  const start = async (): Promise<void> => {
    proc = spawn(
      'redis-server',
      ['--bind', '127.0.0.1', '--port', String(port), '--dir', dir, ...persistence, '--save', ''],
      {
        stdio: 'ignore',
      },
    );
    for (let i = 0; i < 100; i += 1) {
      try {
        execFileSync('redis-cli', ['-p', String(port), 'ping'], { stdio: 'pipe' });
        return;
      } catch {
        await sleep(50);
      }
    }
    throw new Error(`test redis on :${port} did not start`);
  };
  const stop = async (): Promise<void> => {
    const p = proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return;
    const gone = new Promise((r) => p.on('exit', r));
    p.kill('SIGTERM');
    await gone;
  };
  await start();
  return {
    addr: `127.0.0.1:${port}`,
    port,
    start,
    stop,
    cleanup: async () => {
      await stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
