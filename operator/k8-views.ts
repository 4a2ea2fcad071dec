// K8 Highlander's answers at its paths (/status, /api/workloads, /api/workloads/{name}), read on
// every request from the same sources as ours.
import { inTenant } from '../api/labels.ts';
import type { HighlanderConfig } from '../config/config.ts';
import type { WorkloadCaches } from '../controllers/caches.ts';
import type { LeaderGate } from '../election/leader-gate.ts';
import type { StoreHealth } from '../election/store-health.ts';
import type { LockStore } from '../locks/lock-store.ts';
import type { Manager } from '../runtime/manager.ts';
import type { HttpDeps } from '../server/http-server.ts';
import { redactUrl } from '../runtime/redact.ts';
import { k8DbInfo } from '../server/k8-dbinfo.ts';
import { k8HealthStatus } from '../server/k8-status.ts';
import { findK8Workload, k8WorkloadGroups } from '../server/k8-workloads.ts';
import type { ManagerState } from '../server/k8-workloads.ts';
import type { StatusTracker } from '../server/status-tracker.ts';
import { listCrs } from '../server/workload-summary.ts';

/** What K8 Highlander's answers are made of. */
export interface CompatSources {
  cfg: HighlanderConfig;
  gate: LeaderGate;
  tracker: StatusTracker;
  health: StoreHealth;
  store: LockStore;
  caches: WorkloadCaches;
  manager: Manager;
  /** /readyz's verdict: K8 Highlander's readyForTraffic. */
  ready: () => { ready: boolean };
  version: string;
  buildInfo: string;
}

/** The compat routes' data. */
export function compatViews(s: CompatSources): NonNullable<HttpDeps['compat']> {
  const ours = inTenant(s.cfg.tenant);
  const crs = () => listCrs(s.caches.crs, ours);
  // K8 Highlander's workload managers run on the leader, started and stopped with leadership.
  const managers = (): ManagerState => {
    const t = s.tracker.snapshot().lastLeaderTransition;
    return { active: s.gate.isLeader(), lastTransition: t === null ? null : Date.parse(t) };
  };
  return {
    status: () =>
      k8HealthStatus({
        leadership: { ...s.tracker.snapshot(), isLeader: s.gate.isLeader() },
        uptimeMs: s.tracker.uptimeMs(),
        clusterName: s.cfg.cluster.name,
        clusterHealth: s.manager.synced(),
        storageType: s.store.backend,
        readyForTraffic: s.ready().ready,
        version: s.version,
        buildInfo: s.buildInfo,
        health: s.health,
        thresholdMs: s.cfg.leaderElection.renewDeadlineMs,
        workloads: crs(),
      }),
    workloads: () => k8WorkloadGroups(crs(), managers()),
    dbinfo: () =>
      k8DbInfo({
        storageType: s.store.backend,
        ...storeAddress(s.cfg),
        reachable: s.health.reachable,
        lockName: s.store.lockName,
        tenant: s.cfg.tenant,
      }),
    find: (name) => findK8Workload(crs(), managers(), name),
  };
}

/** The configured store's address as K8 Highlander wrote it (a database URL without its password). */
function storeAddress(cfg: HighlanderConfig): { address?: string } {
  if (cfg.redis) return { address: cfg.redis.addr };
  if (cfg.databaseURL) return { address: redactUrl(cfg.databaseURL) };
  const sp = cfg.spanner;
  if (sp) return { address: `projects/${sp.projectID}/instances/${sp.instanceID}/databases/${sp.databaseID}` };
  return {};
}
