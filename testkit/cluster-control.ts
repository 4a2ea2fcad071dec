// Faults of the local control plane itself, for the chaos suite: restarting a component (the API
// server) as the same command it was started with, and freezing one (kwok, the fake kubelets:
// every node then stops answering and goes NotReady).
import { spawn } from 'node:child_process';
import { openSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { VersionApi } from '@kubernetes/client-node';
import { loadKubeConfig, repoRoot } from './kube.ts';
import { pidOf, signalTree } from './store-control.ts';

const clusterDir = `${repoRoot}.cluster/cluster`;
const pidFile = (component: string): string => `${clusterDir}/pids/${component}.pid`;

/** The API server's port on 127.0.0.1 (up.sh writes it to cluster.env). */
export function apiServerPort(): number {
  const m = /^API_PORT=(\d+)$/m.exec(readFileSync(`${clusterDir}/cluster.env`, 'utf8'));
  if (!m) throw new Error(`${clusterDir}/cluster.env names no API_PORT: is the cluster up?`);
  return Number(m[1]);
}

/** Waits until the API server answers again (its version), or throws after `ms`. */
export async function apiServerReady(ms = 90_000): Promise<void> {
  const version = loadKubeConfig().makeApiClient(VersionApi);
  const deadline = performance.now() + ms;
  for (;;) {
    try {
      await version.getCode();
      return;
    } catch {
      if (performance.now() > deadline) throw new Error(`the API server is not answering after ${ms} ms`);
      await sleep(250);
    }
  }
}

/**
 * Stops a component of the local cluster (SIGTERM, then SIGKILL after 10 s) and starts it again
 * with the command line it had, appending to its log. Resolves once it runs again.
 */
export async function restartComponent(
  component: 'kube-apiserver' | 'kube-controller-manager' | 'kwok',
): Promise<void> {
  const pid = pidOf(pidFile(component));
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  process.kill(pid, 'SIGTERM');
  for (let i = 0; i < 100 && alive(pid); i += 1) await sleep(100);
  if (alive(pid)) process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 50 && alive(pid); i += 1) await sleep(100);
  const log = openSync(`${clusterDir}/logs/${component}.log`, 'a');
  const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
  child.unref();
  writeFileSync(pidFile(component), `${child.pid}\n`);
  if (component === 'kube-apiserver') await apiServerReady();
}

/** Freezes (true) or thaws (false) a component: it stays alive but does nothing. */
export function freezeComponent(
  component: 'kwok' | 'kube-apiserver' | 'kube-controller-manager',
  frozen: boolean,
): void {
  signalTree(pidOf(pidFile(component)), frozen ? 'SIGSTOP' : 'SIGCONT');
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
