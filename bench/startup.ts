// Start-up benchmark: `highlander run` (bin/highlander.js, on the Lease lock of the local
// cluster) from the TypeScript sources through tsx, and from the compiled dist/. Per round:
//   listen_ms   process spawned → GET /healthz answers 200
//   leading_ms  process spawned → the 'became leader' log line (its own timestamp)
//   rss_mb      resident memory after leading and then idling for --idle-ms
// Prints one JSON line per mode (medians over the rounds, plus min and max).
// Usage: node --import tsx bench/startup.ts [--rounds N] [--mode tsx|dist ...] [--idle-ms MS]
// The dist mode needs `npm run build` first (`make bench-startup` does it).
import { existsSync, readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { STARTUP_MS, operatorEnv, uniqueTenant } from '../testkit/backends.ts';
import { freePort } from '../testkit/free-port.ts';
import { repoRoot } from '../testkit/kube.ts';
import { OperatorProcess } from '../testkit/operator-process.ts';
import { percentile, round1 } from './stats.ts';

const MODES = ['tsx', 'dist'] as const;
type Mode = (typeof MODES)[number];

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    mode: { type: 'string', multiple: true },
    'idle-ms': { type: 'string', default: '5000' },
  },
});
const rounds = Number(values.rounds);
const idleMs = Number(values['idle-ms']);
const modes = (values.mode ?? MODES) as Mode[];
for (const m of modes) if (!MODES.includes(m)) throw new Error(`bench: --mode ${m}: tsx or dist`);
if (modes.includes('dist') && !existsSync(`${repoRoot}dist/cli/main.js`))
  throw new Error('bench: dist/cli/main.js is missing: run `npm run build` first');

/** Resolves with the time (performance.now()) of the first 200 from /healthz. */
async function healthzAt(port: number, p: OperatorProcess): Promise<number> {
  const deadline = performance.now() + STARTUP_MS;
  for (;;) {
    const res = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
    if (res?.status === 200) return performance.now();
    if (performance.now() > deadline) throw new Error(`bench: ${p.name}: /healthz not 200 in ${STARTUP_MS} ms`);
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Resident set size of a process, in MB, from /proc. */
function rssMb(pid: number): number {
  const kb = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  return Number(kb) / 1024;
}

/** One start of `highlander run` in `mode`, on a tenant (and so a Lease) of its own. */
async function once(mode: Mode, round: number): Promise<{ listen: number; leading: number; rss: number }> {
  const port = await freePort();
  const env = operatorEnv('kubernetes', uniqueTenant('startup'), undefined, {
    HIGHLANDER_PORT: String(port),
    HIGHLANDER_DEV: mode === 'tsx' ? '1' : '0',
  });
  const spawnedAt = performance.now();
  const spawnedAtMs = Date.now();
  const p = new OperatorProcess(`${mode}-${round}`, env);
  try {
    const listenAt = await healthzAt(port, p);
    const led = await p.becameLeader(STARTUP_MS);
    await new Promise((r) => setTimeout(r, idleMs));
    const rss = rssMb(p.pid);
    p.signal('SIGTERM');
    await p.exited;
    return { listen: listenAt - spawnedAt, leading: Number(led.time) - spawnedAtMs, rss };
  } finally {
    await p.kill();
  }
}

const median = (xs: number[]): number => round1(percentile(xs, 50));
const range = (xs: number[]): [number, number] => [round1(Math.min(...xs)), round1(Math.max(...xs))];

for (const mode of modes) {
  const runs = [];
  for (let i = 0; i < rounds; i += 1) runs.push(await once(mode, i));
  const listen = runs.map((r) => r.listen);
  const leading = runs.map((r) => r.leading);
  const rss = runs.map((r) => r.rss);
  console.log(
    JSON.stringify({
      bench: 'startup',
      mode,
      rounds,
      listen_ms: median(listen),
      leading_ms: median(leading),
      rss_mb: median(rss),
      listen_ms_range: range(listen),
      leading_ms_range: range(leading),
      rss_mb_range: range(rss),
      idle_ms: idleMs,
      node: process.version,
    }),
  );
}
