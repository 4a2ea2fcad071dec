// Real `highlander await -- node app.mjs FILE` processes for the e2e tests, each reaching the lock
// store through a Toxiproxy proxy of its own (so that one of them alone can lose the store), and
// the checks on what the gated apps wrote.
import { closeSync, openSync, readFileSync, readSync, writeFileSync, existsSync } from 'node:fs';
import YAML from 'yaml';
import type { Backend } from '../../locks/lock-store.ts';
import { FAST_TIMINGS, operatorEnv } from '../../testkit/backends.ts';
import { kubeconfigPath, repoRoot } from '../../testkit/kube.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import { loadServicesEnv } from '../../testkit/services.ts';
import type { Toxiproxy } from '../../testkit/toxiproxy.ts';

export const APP = `${repoRoot}e2e/await/app.mjs`;

/** One candidate: its process and the proxy between it and the store. */
export interface Candidate {
  process: OperatorProcess;
  proxy: string;
}

/** The store's real address and the settings that point a process at `listen` instead. */
export function storeRoute(
  backend: Backend,
  dir: string,
  name: string,
): { upstream: string; env: (listen: string) => Record<string, string> } {
  const s = loadServicesEnv();
  switch (backend) {
    case 'kubernetes': {
      const doc = YAML.parse(readFileSync(kubeconfigPath, 'utf8')) as { clusters: { cluster: { server: string } }[] };
      const upstream = new URL(doc.clusters[0]!.cluster.server).host;
      return {
        upstream,
        env: (listen) => {
          for (const c of doc.clusters) c.cluster.server = `https://${listen}`;
          const path = `${dir}/kubeconfig-${name}`;
          writeFileSync(path, YAML.stringify(doc), { mode: 0o600 });
          return { HIGHLANDER_KUBECONFIG: path };
        },
      };
    }
    case 'redis':
      return { upstream: s.redisAddr, env: (listen) => ({ HIGHLANDER_REDIS_ADDR: listen }) };
    case 'db': {
      const url = new URL(s.databaseUrl);
      return {
        upstream: url.host,
        env: (listen) => {
          const u = new URL(url);
          u.host = listen;
          return { HIGHLANDER_DATABASE_URL: u.toString() };
        },
      };
    }
    case 'spanner':
      return { upstream: s.spanner.emulatorHost, env: (listen) => ({ SPANNER_EMULATOR_HOST: listen }) };
  }
}

/** Starts candidate `name`: `highlander await -- node app.mjs file`, in a process group of its own. */
export async function startCandidate(o: {
  tox: Toxiproxy;
  backend: Backend;
  tenant: string;
  name: string;
  dir: string;
  file: string;
  extraEnv?: Record<string, string>;
}): Promise<Candidate> {
  const route = storeRoute(o.backend, o.dir, o.name);
  const proxy = await o.tox.createProxy(`await-${o.backend}-${o.name}-${o.tenant}`.slice(0, 63), route.upstream);
  const env = operatorEnv(o.backend, o.tenant, FAST_TIMINGS, { ...route.env(proxy.listen), ...o.extraEnv });
  const command = [process.execPath, `${repoRoot}bin/highlander.js`, 'await', '--', process.execPath, APP, o.file];
  const p = new OperatorProcess(o.name, env, [], command, { detached: true });
  return { process: p, proxy: proxy.name };
}

/** One run of the app: its epoch, pid and the times of its first and last line. */
export interface AppTerm {
  epoch: number;
  pid: number;
  first: number;
  last: number;
  lines: number;
}

/**
 * The app's runs in the order they wrote, after checking the file: epochs never go back (no
 * line of an older epoch after a newer one) and each epoch was written by one process.
 */
export function termsOf(file: string): AppTerm[] {
  const terms: AppTerm[] = [];
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  for (const [i, line] of text.trim().split('\n').filter(Boolean).entries()) {
    const [epoch, pid, at] = line.split(' ').map(Number) as [number, number, number];
    const cur = terms[terms.length - 1];
    if (cur && epoch === cur.epoch) {
      if (pid !== cur.pid) throw new Error(`line ${i + 1}: epoch ${epoch} written by ${cur.pid} and ${pid}`);
      cur.last = at;
      cur.lines += 1;
      continue;
    }
    if (cur && epoch < cur.epoch) throw new Error(`line ${i + 1}: epoch ${epoch} after epoch ${cur.epoch}: ${line}`);
    terms.push({ epoch, pid, first: at, last: at, lines: 1 });
  }
  return terms;
}

/** Whether process `pid` exists and is not stopped or a zombie. */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return !['T', 't', 'Z', 'X'].includes(state);
  } catch {
    return false;
  }
}

/**
 * Watches the apps every 10 ms: the pids that ever wrote (read from the file as it grows), the
 * largest number of them running (not stopped, not dead) at one sample, and when more than one did.
 */
export function watchApps(file: string): { stop(): { maxRunning: number; samples: number; overlaps: number[] } } {
  const pids = new Set<number>();
  let offset = 0;
  let rest = '';
  let maxRunning = 0;
  let samples = 0;
  const overlaps: number[] = [];
  const timer = setInterval(() => {
    if (existsSync(file)) {
      const fd = openSync(file, 'r');
      const buf = Buffer.alloc(1 << 16);
      let n: number;
      while ((n = readSync(fd, buf, 0, buf.length, offset)) > 0) {
        offset += n;
        rest += buf.subarray(0, n).toString('utf8');
      }
      closeSync(fd);
      const lines = rest.split('\n');
      rest = lines.pop() ?? '';
      for (const l of lines) pids.add(Number(l.split(' ')[1]));
    }
    samples += 1;
    const now = [...pids].filter(isRunning).length;
    if (now > 1) overlaps.push(Date.now());
    maxRunning = Math.max(maxRunning, now);
  }, 10);
  return {
    stop() {
      clearInterval(timer);
      return { maxRunning, samples, overlaps };
    },
  };
}
