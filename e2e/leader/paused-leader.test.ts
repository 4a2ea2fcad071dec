// A leader paused (SIGSTOP) for longer than its lease must not act after it resumes: every
// action is taken only while the gate, on its monotonic clock, says this process leads.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { BACKENDS, FAST_TIMINGS, STARTUP_MS, operatorEnv, uniqueTenant } from '../../testkit/backends.ts';
import { repoRoot } from '../../testkit/kube.ts';

function candidate(id: string, env: Record<string, string>, actLog: string) {
  const child = spawn(process.execPath, ['--import', 'tsx', `${repoRoot}e2e/leader/acting-candidate.ts`, actLog], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HIGHLANDER_ID: id, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines: Record<string, unknown>[] = [];
  createInterface({ input: child.stdout }).on('line', (l) => lines.push(JSON.parse(l) as Record<string, unknown>));
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  const until = async (msg: string, timeoutMs: number): Promise<void> => {
    const end = Date.now() + timeoutMs;
    while (!lines.some((l) => l.msg === msg)) {
      if (Date.now() > end) throw new Error(`${id}: no "${msg}" within ${timeoutMs} ms`);
      await sleep(20);
    }
  };
  return { child, lines, until, exited };
}

for (const backend of BACKENDS) {
  describe(`paused leader on ${backend}`, () => {
    test('acts never again after resuming: actions are ordered by epoch', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hl-acts-'));
      const actLog = join(dir, 'acts.jsonl');
      const env = operatorEnv(backend, uniqueTenant('pause'));
      const a = candidate('a', env, actLog);
      let b: ReturnType<typeof candidate> | undefined;
      try {
        await a.until('became leader', STARTUP_MS);
        b = candidate('b', env, actLog);
        await sleep(300);
        a.child.kill('SIGSTOP');
        await b.until('became leader', FAST_TIMINGS.leaseMs + 5000);
        await sleep(300);
        const resumedAt = Date.now();
        a.child.kill('SIGCONT');
        await a.until('leadership ended', 5000);
        await sleep(500);

        const acts = readFileSync(actLog, 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as { id: string; epoch: number; t: number });
        const byA = acts.filter((x) => x.id.startsWith('a_'));
        const byB = acts.filter((x) => x.id.startsWith('b_'));
        assert.ok(byA.length > 5, 'the first leader never acted');
        assert.ok(byB.length > 5, 'the second leader never acted');
        assert.equal(byA.filter((x) => x.t >= resumedAt).length, 0, 'the paused leader acted after it resumed');
        const firstB = Math.min(...byB.map((x) => x.t));
        assert.ok(
          byA.every((x) => x.t < firstB),
          'the two leaders acted at overlapping times',
        );
        for (let i = 1; i < acts.length; i += 1) {
          assert.ok(
            acts[i]!.epoch >= acts[i - 1]!.epoch,
            `an action with epoch ${acts[i]!.epoch} came after epoch ${acts[i - 1]!.epoch}`,
          );
        }
      } finally {
        const all = b ? [a, b] : [a];
        for (const c of all) {
          c.child.kill('SIGCONT');
          c.child.kill('SIGKILL');
        }
        await Promise.all(all.map((c) => c.exited));
      }
    });
  });
}
