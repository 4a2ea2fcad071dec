// `await` with real child processes on an in-memory lock: the term in the command's environment,
// its exit status passed on, and a lost lease ending the command before the hold expires.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { parseConfig } from '../config/config.ts';
import { MemoryLock } from '../locks/memory/memory-store.ts';
import { systemClock } from '../runtime/clock.ts';
import { createLogger } from '../runtime/logger.ts';
import { GatedChild, shellStatus } from './await-child.ts';
import { killMarginMs, runAwait } from './await.ts';
import type { AwaitSettings } from './await-settings.ts';

const node = (code: string): string[] => [process.execPath, '-e', code];
const silent = createLogger('silent');

/** Settings of an election on `store`, with timings short enough for a unit test. */
function settings(store: ReturnType<MemoryLock['client']>): AwaitSettings {
  const config = parseConfig(
    { leaderElection: { leaseDuration: '1500ms', renewDeadline: '1s', retryPeriod: '200ms' } },
    {},
    'test',
    {
      id: 'a',
    },
  );
  return {
    election: true,
    name: 'test',
    elect: {
      store,
      lock: 'jobs',
      identity: 'a',
      timings: { leaseDuration: 1500, renewDeadline: 1000, retryPeriod: 200 },
    },
    config,
  };
}

test('exit statuses are reported as a shell does', () => {
  assert.equal(shellStatus(3, null), 3);
  assert.equal(shellStatus(null, 'SIGKILL'), 137);
  assert.equal(shellStatus(null, 'SIGTERM'), 143);
});

test('a command that ignores SIGTERM is killed at its deadline; a nearer deadline brings the kill forward', async () => {
  // The command says when its handler is in place: a fixed wait loses that race on a busy machine.
  const ready = join(mkdtempSync(join(tmpdir(), 'await-test-')), 'ready');
  const child = new GatedChild(
    ...splitCmd(
      node(
        `process.on('SIGTERM', () => {}); require('fs').writeFileSync(${JSON.stringify(ready)}, ''); setInterval(() => {}, 1000)`,
      ),
    ),
    process.env,
    () => undefined,
  );
  while (!existsSync(ready)) await new Promise((r) => setTimeout(r, 20));
  const started = Date.now();
  void child.stop('SIGTERM', 60_000);
  const exit = await child.stop('SIGTERM', 200);
  assert.equal(exit.signal, 'SIGKILL');
  assert.equal(exit.status, 137);
  assert.ok(Date.now() - started < 5000, 'the 60 s deadline was kept instead of the 200 ms one');
});

test('a command that cannot be started ends with 127, as in a shell', async () => {
  const child = new GatedChild('/nonexistent/cmd', [], process.env, () => undefined);
  assert.deepEqual(await child.exited, { status: 127, signal: null });
});

test('the command gets its term in the environment; its own exit status is returned and the lock released', async () => {
  const lock = new MemoryLock(systemClock);
  const s = settings(lock.client());
  const code = node(
    'const e = process.env; process.exit(e.HIGHLANDER_EPOCH === "1" && e.HIGHLANDER_LEADER.startsWith("a_") && e.HIGHLANDER_LOCK === "memory" ? 7 : 1)',
  );
  assert.equal(await runAwait(s, code, silent), 7);
  assert.equal(lock.state().holder, null, 'released');
});

test('when the lease is lost, the command is killed before the hold can expire, and runs again next term', async () => {
  const lock = new MemoryLock(systemClock);
  const store = lock.client();
  // Every log line with the moment it was written, on the lock's clock.
  const lines: { at: number; line: Record<string, unknown> }[] = [];
  const log = createLogger('info', {
    write: (text: string) => lines.push({ at: systemClock.now(), line: JSON.parse(text) as Record<string, unknown> }),
  } as unknown as NodeJS.WritableStream);
  let lastExpiry = 0;
  const expiry = setInterval(() => (lastExpiry = Math.max(lastExpiry, lock.expiresAt)), 1);
  // Term 1: ignores SIGTERM, so only the SIGKILL ends it. Term 2: exits on its own with 5.
  const app = node(
    "if (process.env.HIGHLANDER_EPOCH === '2') process.exit(5); process.on('SIGTERM', () => {}); setInterval(() => {}, 1000)",
  );
  const outage = setTimeout(() => store.down(), 400);
  const heal = setTimeout(() => store.down(false), 1800);
  const status = await runAwait(settings(store), app, log);
  clearInterval(expiry);
  clearTimeout(outage);
  clearTimeout(heal);
  assert.equal(status, 5);
  const exited = lines.filter((l) => l.line.msg === 'command exited');
  assert.deepEqual(
    exited.map((l) => [l.line.epoch, l.line.reason, l.line.signal]),
    [
      [1, 'term-ended', 'SIGKILL'],
      [2, 'own', null],
    ],
  );
  const killedAt = exited[0]!.at;
  assert.ok(killedAt < lastExpiry, `killed ${(killedAt - lastExpiry).toFixed(0)} ms after the hold expired`);
  const stopping = lines.find((l) => l.line.msg === 'stopping the command')!;
  assert.equal(stopping.line.reason, 'renew-deadline');
  assert.equal(lock.state().holder, null, 'released after the command exited on its own');
  assert.equal(killMarginMs(1500, 1000), 125);
});

function splitCmd(cmd: string[]): [string, string[]] {
  return [cmd[0]!, cmd.slice(1)];
}
