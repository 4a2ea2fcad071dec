// The faults a chaos round injects, one per round, each healed before the round ends: the
// leader killed, paused past its lease, stopped gracefully; the lock store restarted; the API
// server restarted; the leader cut from the store, from the API server, or both (a blackhole:
// Toxiproxy's timeout toxic), or its connections stalled (requests held for seconds, then
// delivered) while it has writes to make; a workload pod deleted; every node NotReady (the fake
// kubelets frozen).
import type { CoreV1Api } from '@kubernetes/client-node';
import { setTimeout as sleep } from 'node:timers/promises';
import { freezeComponent, restartComponent } from '../../testkit/cluster-control.ts';
import type { Toxiproxy } from '../../testkit/toxiproxy.ts';
import type { workloadClient } from '../../testkit/workloads.ts';
import type { Observer } from './observer.ts';
import { CHAOS_TIMINGS, current, leaders, restart, signal } from './replicas.ts';
import type { Slot } from './replicas.ts';
import type { ChaosStore } from './stores.ts';

/** The faults, by name. */
export const FAULTS = [
  'kill',
  'pause',
  'term',
  'store-restart',
  'api-restart',
  'cut-store',
  'cut-api',
  'cut-both',
  'stall-api',
  'stall-both',
  'pod-delete',
  'nodes-not-ready',
] as const;
export type Fault = (typeof FAULTS)[number];

/** How often each fault is picked, relative to the others (the slow ones less often). */
const WEIGHT: Record<Fault, number> = {
  kill: 3,
  pause: 3,
  term: 2,
  'store-restart': 2,
  'api-restart': 1,
  'cut-store': 2,
  'cut-api': 2,
  'cut-both': 1,
  'stall-api': 1,
  'stall-both': 2,
  'pod-delete': 2,
  'nodes-not-ready': 0.5,
};

/** What a fault acts on. */
export interface FaultTarget {
  slots: Slot[];
  tox: Toxiproxy;
  store: ChaosStore;
  observer: Observer;
  core: CoreV1Api;
  crs: ReturnType<typeof workloadClient>;
  /** The labels of the run's CRs (its tenant). */
  labels: Record<string, string>;
  namespace: string;
  random: () => number;
  log: (msg: string) => void;
}

/** A fault picked by weight (`nodes-not-ready` only when `allowSlow`). */
export function pick(random: () => number, allowSlow: boolean): Fault {
  const choices = FAULTS.filter((f) => allowSlow || f !== 'nodes-not-ready');
  const total = choices.reduce((n, f) => n + WEIGHT[f], 0);
  let r = random() * total;
  for (const f of choices) {
    r -= WEIGHT[f];
    if (r < 0) return f;
  }
  return choices[choices.length - 1]!;
}

const LEASE = CHAOS_TIMINGS.leaseMs;
/** The CR a stall round creates (and the next one deletes first). */
const STALL_CR = 'stall-new';

/** Injects `fault` and heals it; resolves when the fault is over (not when all has converged). */
export async function inject(fault: Fault, t: FaultTarget): Promise<string> {
  const [leader] = await leaders(t.slots);
  const target = leader ?? t.slots[Math.floor(t.random() * t.slots.length)]!;
  switch (fault) {
    case 'kill':
      signal(target, 'SIGKILL');
      await current(target).exited;
      await sleep(500);
      restart(target);
      return `SIGKILL ${target.name}`;
    case 'pause':
      signal(target, 'SIGSTOP');
      await sleep(LEASE + 1000);
      signal(target, 'SIGCONT');
      return `SIGSTOP ${target.name} for ${LEASE + 1000} ms`;
    case 'term':
      signal(target, 'SIGTERM');
      await current(target).exited;
      restart(target);
      return `SIGTERM ${target.name}`;
    case 'store-restart':
      await t.store.restart();
      return t.store.restartKind;
    case 'api-restart':
      await restartComponent('kube-apiserver');
      return 'kube-apiserver restarted';
    case 'cut-store':
    case 'cut-api':
    case 'cut-both': {
      const proxies = new Set(
        fault === 'cut-store'
          ? [target.storeProxy]
          : fault === 'cut-api'
            ? [target.apiProxy]
            : [target.storeProxy, target.apiProxy],
      );
      for (const p of proxies) await t.tox.cut(p);
      await sleep(LEASE + 1000);
      for (const p of proxies) await t.tox.heal(p);
      return `${target.name} cut from ${fault === 'cut-both' ? 'the store and the API server' : fault === 'cut-store' ? 'the store' : 'the API server'}`;
    }
    case 'stall-api':
    case 'stall-both': {
      // Requests held past the lease, then delivered: the leader's writes are in flight when its
      // lease runs out (with the Lease store, or with the store stalled too) and land after a
      // newer leader was granted. It is given writes to make: an edited CR (a patch of its child,
      // which the resourceVersion it saw refuses once the new leader wrote the child) and a new CR
      // (the create of its CronJob, which only the epoch fence can refuse).
      await t.crs.remove('WorkloadCronJob', STALL_CR);
      const proxies = fault === 'stall-api' ? [target.apiProxy] : [...new Set([target.apiProxy, target.storeProxy])];
      const ms = 2 * LEASE;
      for (const p of proxies) await t.tox.stall(p, ms);
      await t.crs.patchSpec('WorkloadCronJob', 'cron', { env: { CHAOS_EDIT: String(Date.now()) } });
      await t.crs.create(
        'WorkloadCronJob',
        STALL_CR,
        { image: 'busybox', script: { commands: ['true'] }, schedule: '0 0 1 1 *' },
        t.labels,
      );
      await sleep(ms + 2000);
      for (const p of proxies) await t.tox.heal(p);
      const what = fault === 'stall-api' ? 'API requests' : 'API and store requests';
      return `${target.name}'s ${what} held ${ms} ms; the cron CR edited, ${STALL_CR} created`;
    }
    case 'pod-delete':
      return deleteRunningPod(t);
    case 'nodes-not-ready':
      // Past the node monitor's grace period the nodes go NotReady and, their taints past the
      // workloads' tolerations, their pods are evicted — but nobody confirms they stopped.
      freezeComponent('kwok', true);
      await sleep(60_000);
      freezeComponent('kwok', false);
      return 'every node NotReady for 60 s';
  }
}

/** Deletes a running pod of the run (one whose name matches `pattern`, if given), chosen at random. */
async function deleteRunningPod(t: FaultTarget, o: { pattern?: RegExp; graceSeconds?: number } = {}): Promise<string> {
  const { pattern, graceSeconds = 2 } = o;
  const running = [...t.observer.pods.values()].filter(
    (p) =>
      p.status?.phase === 'Running' && !p.metadata?.deletionTimestamp && (!pattern || pattern.test(p.metadata!.name!)),
  );
  const victim = running[Math.floor(t.random() * running.length)];
  if (!victim) return 'no pod to delete';
  await t.core
    .deleteNamespacedPod({ name: victim.metadata!.name!, namespace: t.namespace, gracePeriodSeconds: graceSeconds })
    .catch(() => undefined);
  return `pod ${victim.metadata!.name} deleted`;
}
