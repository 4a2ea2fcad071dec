// What the benchmarks ask of running operators and of time: bounded waits, an operator started
// and awaited, its port, readiness, memory, CPU and reconcile figures from /metrics.
import { setTimeout as sleep } from 'node:timers/promises';
import { STARTUP_MS } from '../testkit/backends.ts';
import { OperatorProcess } from '../testkit/operator-process.ts';
import { samples, scrape, sum } from '../testkit/prom-text.ts';
import type { Sample } from '../testkit/prom-text.ts';
import { KINDS } from './reconcile-tracks.ts';
import { round1 } from './stats.ts';

const log = (msg: string): void => void process.stderr.write(`[bench] ${msg}\n`);
/** A duration for messages, in whole seconds. */
export const seconds = (ms: number): string => `${Math.round(ms / 1000)} s`;

/** Resolves as `p` does, or rejects naming `what` once `ms` have passed. */
export async function withDeadline<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`bench: ${what} did not finish within ${seconds(ms)}`)), ms);
  });
  try {
    return await Promise.race([p, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * Waits until `done()` (a check of what the watches saw) holds, logging `progress()` every 10 s;
 * throws with the progress after `ms`.
 */
export async function until(done: () => boolean, ms: number, what: string, progress: () => string): Promise<void> {
  const start = performance.now();
  let told = start;
  while (!done()) {
    const now = performance.now();
    if (now - start > ms) throw new Error(`bench: timed out after ${seconds(ms)} waiting for ${what}: ${progress()}`);
    if (now - told >= 10_000) {
      log(`${what}: ${progress()}`);
      told = now;
    }
    await sleep(100);
  }
}

/** Reconcile figures per controller from a /metrics text: passes, mean and worst-bucket time, errors. */
export function reconcileDiag(text: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const { kind } of KINDS) {
    const c = (s: Sample): boolean => s.labels.controller === kind;
    const n = sum(samples(text, 'controller_runtime_reconcile_time_seconds_count').filter(c));
    const secs = sum(samples(text, 'controller_runtime_reconcile_time_seconds_sum').filter(c));
    const buckets = samples(text, 'controller_runtime_reconcile_time_seconds_bucket').filter(c);
    const p99 = buckets.find((b) => b.value >= 0.99 * n)?.labels.le;
    const q = (s: Sample): boolean => s.labels.name === kind;
    const qn = sum(samples(text, 'workqueue_queue_duration_seconds_count').filter(q));
    const qs = sum(samples(text, 'workqueue_queue_duration_seconds_sum').filter(q));
    out[kind] = {
      reconciles: n,
      reconcile_mean_ms: n ? round1((secs / n) * 1000) : null,
      reconcile_p99_le_s: p99 === undefined ? null : Number(p99),
      queue_wait_mean_ms: qn ? round1((qs / qn) * 1000) : null,
      errors: sum(samples(text, 'controller_runtime_reconcile_errors_total').filter(c)),
      retries: sum(samples(text, 'workqueue_retries_total').filter(q)),
    };
  }
  return out;
}

/** An operator's memory from its /metrics, in MB: resident, V8 heap in use, and outside the heap (buffers). */
export async function memoryMb(port: number): Promise<{ rss: number; heapUsed: number; external: number }> {
  const text = await scrape(port);
  const mb = (name: string): number => {
    const v = samples(text, name)[0]?.value;
    if (v === undefined) throw new Error(`bench: :${port}/metrics has no ${name}`);
    return round1(v / 2 ** 20);
  };
  return {
    rss: mb('process_resident_memory_bytes'),
    heapUsed: mb('nodejs_heap_size_used_bytes'),
    external: mb('nodejs_external_memory_bytes'),
  };
}

/** An operator's CPU seconds so far (user + system). */
export async function cpuSeconds(port: number): Promise<number> {
  return sum(samples(await scrape(port), 'process_cpu_seconds_total'));
}

/** CPU use of an operator between two readings, in % of one core. */
export const cpuPercent = (cpu0: number, cpu1: number, ms: number): number => round1(((cpu1 - cpu0) * 100_000) / ms);

/** Starts an operator and waits until it leads (`lead`) or follows. */
export async function startOperator(
  name: string,
  env: Record<string, string>,
  lead: boolean,
): Promise<OperatorProcess> {
  const p = new OperatorProcess(name, env);
  try {
    if (lead) await p.becameLeader(STARTUP_MS);
    else await p.waitForLog((l) => l.msg === 'new leader observed', STARTUP_MS);
  } catch (err) {
    await p.kill();
    const hint = lead
      ? ' Is another operator of tenant `default` running (an e2e test)? The bench needs the lease to itself.'
      : '';
    throw new Error(
      `bench: operator ${name} did not ${lead ? 'become leader' : 'see the leader'} within ${seconds(STARTUP_MS)}.${hint}\n${String(err)}`,
      { cause: err },
    );
  }
  return p;
}

/** Its HTTP port and identity, from the 'campaigning for leadership' line. */
export function portOf(p: OperatorProcess): { port: number; identity: string } {
  const line = p.logs('campaigning for leadership')[0];
  if (!line) throw new Error(`bench: operator ${p.name} logged no 'campaigning for leadership' line`);
  return { port: Number(line.port), identity: String(line.identity) };
}

/** Waits until an operator's caches are synced (/readyz 200). */
export async function readyz(p: OperatorProcess, ms: number): Promise<void> {
  const { port } = portOf(p);
  const deadline = performance.now() + ms;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/readyz`, { signal: AbortSignal.timeout(5000) }).catch(
      () => undefined,
    );
    if (res?.ok) return;
    if (performance.now() > deadline) throw new Error(`bench: operator ${p.name} not ready within ${seconds(ms)}`);
    await sleep(250);
  }
}
