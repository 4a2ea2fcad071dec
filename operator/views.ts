// The operator as its HTTP routes show it, read on every request from the gate, the status
// tracker, the store's health and the caches: nothing here is stored twice.
import { inTenant } from '../api/labels.ts';
import type { HighlanderConfig } from '../config/config.ts';
import { redactConfig } from '../config/redact.ts';
import { redactUrl } from '../runtime/redact.ts';
import type { WorkloadCaches } from '../controllers/caches.ts';
import type { LeaderGate } from '../election/leader-gate.ts';
import type { StoreHealth } from '../election/store-health.ts';
import type { LockStore } from '../locks/lock-store.ts';
import type { Manager } from '../runtime/manager.ts';
import type { EventHub } from '../server/event-hub.ts';
import type { HttpDeps } from '../server/http-server.ts';
import type { StatusTracker } from '../server/status-tracker.ts';
import { byName, findWorkload, listWorkloads, podViews, viewOf } from '../server/workload-summary.ts';
import type { WorkloadSummary } from '../server/workload-summary.ts';

/** What the views read. */
export interface ViewSources {
  cfg: HighlanderConfig;
  identity: string;
  gate: LeaderGate;
  tracker: StatusTracker;
  health: StoreHealth;
  store: LockStore;
  caches: WorkloadCaches;
  hub: EventHub;
  manager: Manager;
}

/** The read-only views behind the HTTP routes. */
export type OperatorViews = Required<
  Pick<HttpDeps, 'ready' | 'status' | 'workloads' | 'dbinfo' | 'debug' | 'pods' | 'failovers'>
> & {
  /** This tenant's workloads (an operator shows only its own tenant's). */
  ourWorkloads: () => WorkloadSummary[];
  /** The lease as this replica knows it, for the live heartbeat. */
  lease: () => Record<string, unknown>;
  /** Everything a new live-stream subscriber is sent first. */
  snapshot: () => Record<string, unknown>;
};

/** Builds the views. */
export function operatorViews(s: ViewSources): OperatorViews {
  const { cfg, gate, tracker, health, store } = s;
  const ours = inTenant(cfg.tenant);
  const ourWorkloads = (): WorkloadSummary[] => listWorkloads(s.caches.crs, ours);
  const workloads = {
    all: () => byName(ourWorkloads()),
    find: (name: string, namespace?: string) => findWorkload(ourWorkloads(), name, namespace),
  };
  const dbinfo = () => ({
    storageType: store.backend,
    lockName: store.lockName,
    tenant: cfg.tenant,
    reachable: health.reachable,
    ...(health.reachable ? {} : { lastError: health.lastError }),
    ...(cfg.redis ? { address: cfg.redis.addr } : {}),
    ...(cfg.databaseURL ? { address: redactUrl(cfg.databaseURL) } : {}),
    ...(cfg.spanner ? { address: `${cfg.spanner.projectID}/${cfg.spanner.instanceID}/${cfg.spanner.databaseID}` } : {}),
  });
  const lease = () => {
    const { currentLeader, epoch, uptime } = tracker.snapshot();
    return {
      isLeader: gate.isLeader(),
      currentLeader,
      epoch,
      leaseRemainingMs: gate.leaseRemainingMs(),
      leaseDurationMs: cfg.leaderElection.leaseDurationMs,
      storeReachable: health.reachable,
      uptime,
      serverTime: new Date().toISOString(),
    };
  };
  const status = () => ({
    ...tracker.snapshot(),
    ...lease(),
    clusterName: cfg.cluster.name,
    tenant: cfg.tenant,
    storageType: store.backend,
    workloadStatus: Object.fromEntries(
      Object.entries(workloads.all()).map(([k, v]) => [
        k,
        { type: v.type, namespace: v.namespace, active: v.active, healthy: v.healthy, phase: v.phase },
      ]),
    ),
  });
  const ready = () => {
    const reasons = [
      ...(health.reachable ? [] : [`lock store unreachable: ${health.lastError || 'no answer yet'}`]),
      ...(s.manager.synced() ? [] : ['caches not synced yet']),
    ];
    return { ready: reasons.length === 0, reasons };
  };
  const leaders = () => new Map(ourWorkloads().map((w) => [`${w.namespace}/${w.name}`, w.leader]));
  return {
    ourWorkloads,
    workloads,
    dbinfo,
    lease,
    status,
    ready,
    failovers: () => s.hub.failovers(),
    pods: () => podViews(s.caches.pods.list(), leaders(), cfg.cluster.name, Date.now()),
    debug: () => ({ ...status(), config: redactConfig(cfg), cachesSynced: s.manager.synced(), lockStore: dbinfo() }),
    snapshot: () => ({
      identity: s.identity,
      status: status(),
      ready: ready(),
      lockStore: dbinfo(),
      workloads: ourWorkloads().map(viewOf),
      failovers: s.hub.failovers(),
      recent: s.hub.recent(),
    }),
  };
}
