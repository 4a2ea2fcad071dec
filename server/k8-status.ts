// K8 Highlander's /status data: its HealthStatus (pkg/monitoring/monitoring.go), field for field
// in its order and with Go's JSON types, filled from what this replica knows.
import type { WorkloadType } from '../api/types.ts';
import { WORKLOAD_KINDS } from '../api/types.ts';
import type { StoreHealth } from '../election/store-health.ts';
import { goDuration, goTime } from './k8-json.ts';
import { keyedByName } from './k8-workloads.ts';
import type { LeadershipStatus } from './status-tracker.ts';
import { dbState } from './store-metrics.ts';
import type { KindedWorkload } from './workload-summary.ts';

/** One entry of the grouped workloadStatus, as K8 Highlander's UpdateWorkloadStatus wrote it. */
export interface K8WorkloadEntry {
  active: boolean;
  namespace: string;
}

/** K8 Highlander's HealthStatus as JSON. */
export interface K8HealthStatus {
  isLeader: boolean;
  leaderSince: string;
  lastLeaderTransition: string;
  /** Nanoseconds (a Go time.Duration). */
  uptime: number;
  leaderID: string;
  clusterName: string;
  clusterHealth: boolean;
  dbConnected: boolean;
  storageType: string;
  workloadStatus: Partial<Record<WorkloadType, Record<string, K8WorkloadEntry>>>;
  readyForTraffic: boolean;
  version: string;
  buildInfo: string;
  lastError?: string;
  failoverCount: number;
  leadershipTransitions: number;
  currentLeader: string;
  lastLeader: string;
  lastLeadershipChangeReason: string;
  controllerState: 'Normal' | 'Degraded';
  dbFailureCount: number;
  dbFailureDuration?: number;
  dbLastSuccessTime: string;
  dbLastFailureTime: string;
  dbFailureThreshold: number;
  splitBrainProtection: boolean;
}

/** What /status is made of. */
export interface K8StatusSources {
  leadership: LeadershipStatus;
  uptimeMs: number;
  clusterName: string;
  /** The Kubernetes API server serves this replica (its caches are synced). */
  clusterHealth: boolean;
  storageType: string;
  /** /readyz would answer 200. */
  readyForTraffic: boolean;
  version: string;
  buildInfo: string;
  health: Pick<
    StoreHealth,
    'reachable' | 'lastError' | 'consecutiveFailures' | 'failingForMs' | 'lastSuccessAt' | 'lastFailureAt'
  >;
  /** The renew deadline: lock-store calls failing this long mean a leader here has stepped down. */
  thresholdMs: number;
  workloads: readonly KindedWorkload[];
}

/** workloadStatus grouped by type, then by name: `{process: {idgen: {active, namespace}}, …}`. */
export function groupWorkloadStatus(items: readonly KindedWorkload[]): K8HealthStatus['workloadStatus'] {
  const out: K8HealthStatus['workloadStatus'] = {};
  for (const type of new Set(items.map(({ kind }) => WORKLOAD_KINDS[kind].type))) {
    const mine = items.filter(({ kind }) => WORKLOAD_KINDS[kind].type === type);
    out[type] = keyedByName(mine, ({ cr }) => ({
      active: (cr.status as { active?: unknown } | undefined)?.active === true,
      namespace: cr.metadata.namespace,
    }));
  }
  return out;
}

/** The /status data. */
export function k8HealthStatus(s: K8StatusSources): K8HealthStatus {
  const { leadership: l, health: h } = s;
  const failing = h.consecutiveFailures > 0;
  const failingMs = h.failingForMs();
  const state = dbState(h, s.thresholdMs);
  return {
    isLeader: l.isLeader,
    leaderSince: goTime(l.leaderSince),
    lastLeaderTransition: goTime(l.lastLeaderTransition),
    uptime: goDuration(s.uptimeMs),
    leaderID: l.leaderID,
    clusterName: s.clusterName,
    clusterHealth: s.clusterHealth,
    dbConnected: h.reachable,
    storageType: s.storageType,
    workloadStatus: groupWorkloadStatus(s.workloads),
    readyForTraffic: s.readyForTraffic,
    version: s.version,
    buildInfo: s.buildInfo,
    ...(failing && h.lastError ? { lastError: h.lastError } : {}),
    failoverCount: l.failoverCount,
    leadershipTransitions: l.leadershipTransitions,
    currentLeader: l.currentLeader,
    lastLeader: l.lastLeader,
    lastLeadershipChangeReason: l.lastLeadershipChangeReason,
    controllerState: state === 'NORMAL' ? 'Normal' : 'Degraded',
    dbFailureCount: h.consecutiveFailures,
    ...(failingMs > 0 ? { dbFailureDuration: goDuration(failingMs) } : {}),
    dbLastSuccessTime: goTime(h.lastSuccessAt),
    dbLastFailureTime: goTime(h.lastFailureAt),
    dbFailureThreshold: goDuration(s.thresholdMs),
    splitBrainProtection: state === 'SPLIT_BRAIN_RISK',
  };
}
