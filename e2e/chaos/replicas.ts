// The operator replicas of a chaos run: three slots, each with a ServiceAccount token of its own
// (so the audit log tells their writes apart) and its own Toxiproxy proxies to the API server
// and to the lock store, all on 127.0.0.1. A slot's process can be killed, stopped and restarted;
// its proxies can be cut or stalled, so the replica alone is partitioned.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import type { KubeConfig } from '@kubernetes/client-node';
import type { Backend } from '../../locks/lock-store.ts';
import { FAST_TIMINGS, operatorEnv } from '../../testkit/backends.ts';
import { apiServerPort } from '../../testkit/cluster-control.ts';
import { OperatorProcess } from '../../testkit/operator-process.ts';
import type { LogLine } from '../../testkit/operator-process.ts';
import { operatorIdentity } from '../../testkit/operator-account.ts';
import type { OperatorIdentity } from '../../testkit/operator-account.ts';
import type { Toxiproxy } from '../../testkit/toxiproxy.ts';

/** The timings of the chaos runs: a lease of seconds, so a round takes seconds. */
export const CHAOS_TIMINGS = FAST_TIMINGS;

/** One replica slot. */
export interface Slot {
  index: number;
  name: string;
  identity: OperatorIdentity;
  /** Toxiproxy proxy names: to the API server, and to the lock store (the same with the Lease). */
  apiProxy: string;
  storeProxy: string;
  /** Every process this slot ran, oldest first; the last is the current one. */
  processes: OperatorProcess[];
  /** Moments (epoch ms) a process of this slot was killed or stopped: its leadership ended there. */
  ended: { at: number; process: OperatorProcess }[];
}

/** What a slot's store connection goes through: the proxy's address replaces the store's. */
export type StoreEnv = (storeProxyListen: string) => Record<string, string>;

/** Sets up `n` slots for `backend` and starts their processes. */
export async function startSlots(o: {
  kc: KubeConfig;
  tox: Toxiproxy;
  backend: Backend;
  tenant: string;
  /** The store's own address (host:port), or undefined for the Lease (the API server). */
  storeUpstream: string | undefined;
  storeEnv: StoreEnv;
  n: number;
  binding: string;
}): Promise<Slot[]> {
  const api = `127.0.0.1:${apiServerPort()}`;
  const slots: Slot[] = [];
  for (let i = 0; i < o.n; i += 1) {
    const name = `chaos${i}`;
    const apiProxy = await o.tox.createProxy(`api-${o.backend}-${i}`, api);
    const storeProxy = o.storeUpstream ? await o.tox.createProxy(`store-${o.backend}-${i}`, o.storeUpstream) : apiProxy;
    const identity = await operatorIdentity(o.kc, o.binding, `https://${apiProxy.listen}`);
    const slot: Slot = {
      index: i,
      name,
      identity,
      apiProxy: apiProxy.name,
      storeProxy: storeProxy.name,
      processes: [],
      ended: [],
    };
    slot.processes.push(spawnIn(slot, o.backend, o.tenant, o.storeEnv(storeProxy.listen)));
    slots.push(slot);
  }
  return slots;
}

/** The environment a slot's processes run with. */
function envOf(slot: Slot, backend: Backend, tenant: string, store: Record<string, string>): Record<string, string> {
  return operatorEnv(backend, tenant, CHAOS_TIMINGS, {
    ...store,
    HIGHLANDER_KUBECONFIG: slot.identity.kubeconfig,
    HIGHLANDER_ID: slot.name,
  });
}

const envs = new WeakMap<Slot, Record<string, string>>();

function spawnIn(slot: Slot, backend: Backend, tenant: string, store: Record<string, string>): OperatorProcess {
  const env = envOf(slot, backend, tenant, store);
  envs.set(slot, env);
  return new OperatorProcess(slot.name, env);
}

/** The slot's current process. */
export const current = (slot: Slot): OperatorProcess => slot.processes[slot.processes.length - 1]!;

/** Starts a new process in the slot (after the last one was killed or exited). */
export function restart(slot: Slot): OperatorProcess {
  const p = new OperatorProcess(slot.name, envs.get(slot)!);
  slot.processes.push(p);
  return p;
}

/** Sends `signal` to the slot's process, noting the moment its leadership ended for SIGKILL/SIGSTOP. */
export function signal(slot: Slot, sig: 'SIGKILL' | 'SIGSTOP' | 'SIGCONT' | 'SIGTERM'): void {
  const p = current(slot);
  if (sig === 'SIGKILL' || sig === 'SIGSTOP') slot.ended.push({ at: Date.now(), process: p });
  p.signal(sig);
}

/** The HTTP port of a process, from its 'campaigning for leadership' line (undefined before it). */
export function portOf(p: OperatorProcess): number | undefined {
  const line: LogLine | undefined = p.logs('campaigning for leadership')[0];
  return line ? Number(line.port) : undefined;
}

/** Whether the slot's process says it leads now (asked over its HTTP API; false when it does not answer). */
export async function isLeading(slot: Slot): Promise<boolean> {
  const port = portOf(current(slot));
  if (!port) return false;
  try {
    const res = await fetch(`http://127.0.0.1:${port}/api/status`, { signal: AbortSignal.timeout(1000) });
    const body = (await res.json()) as { data?: { isLeader?: boolean } };
    return body.data?.isLeader === true;
  } catch {
    return false;
  }
}

/** The slots that lead now (more than one would be a bug the checker also sees). */
export async function leaders(slots: readonly Slot[]): Promise<Slot[]> {
  const leading = await Promise.all(slots.map((s) => isLeading(s)));
  return slots.filter((_, i) => leading[i]);
}

/** Writes every process's log lines to DIR/<slot>-<n>.log (JSON lines), for reading a run after. */
export function saveLogs(slots: readonly Slot[], dir: string): void {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const s of slots) {
    s.processes.forEach((p, n) => {
      const lines = [...p.lines.map((l) => JSON.stringify(l)), ...p.stderr.map((l) => JSON.stringify({ stderr: l }))];
      writeFileSync(`${dir}/${s.name}-${n}.log`, `${lines.join('\n')}\n`);
    });
  }
}

/** Kills every process and removes the tokens' kubeconfigs. */
export async function stopSlots(slots: readonly Slot[]): Promise<void> {
  for (const s of slots) {
    const p = current(s);
    p.signal('SIGCONT');
    await p.kill();
  }
  for (const s of slots) await s.identity.remove();
}
