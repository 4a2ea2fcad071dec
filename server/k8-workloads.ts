// K8 Highlander's /api/workloads: its four workload managers, each a WorkloadStatus of its own
// whose details hold the statuses of that kind's workloads by name. Built from the CR caches;
// field names, nesting and Go's JSON types are K8 Highlander's (pkg/common/workloads.go and the
// managers in pkg/workloads/*), the values are Highlander's.
import { WORKLOAD_KINDS } from '../api/types.ts';
import type { WorkloadType } from '../api/types.ts';
import { GO_ZERO_TIME, goTime } from './k8-json.ts';
import type { KindedWorkload } from './workload-summary.ts';

/** K8 Highlander's WorkloadStatus (json tags: name, type, active, healthy, lastError, lastTransition, details). */
export interface K8WorkloadStatus {
  name: string;
  type: WorkloadType | 'custom';
  active: boolean;
  healthy: boolean;
  /** Omitted when empty (omitempty). */
  lastError?: string;
  lastTransition: string;
  /** Omitted when empty (omitempty). */
  details?: Record<string, unknown>;
}

/** Each manager: its key in /api/workloads, its own name, the details key of its workloads. */
export const K8_GROUPS: readonly { key: string; name: string; itemsKey: string; type: WorkloadType }[] = [
  { key: 'processes', name: 'processes', itemsKey: 'processes', type: 'process' },
  { key: 'cronjobs', name: 'cronjobs', itemsKey: 'cronJobs', type: 'cronjob' },
  { key: 'service', name: 'deployments', itemsKey: 'deployments', type: 'service' },
  { key: 'persistent', name: 'persistentsets', itemsKey: 'persistentSets', type: 'persistent' },
];

/** The managers' own state: they run on the leader only, started and stopped with leadership. */
export interface ManagerState {
  active: boolean;
  /** When leadership (and so the managers) last started or stopped, epoch ms; null if never. */
  lastTransition: number | null;
}

type Status = {
  active?: boolean;
  healthy?: boolean;
  phase?: string;
  message?: string;
  conditions?: { type?: string; lastTransitionTime?: string }[];
  [k: string]: unknown;
};

/** One CR as K8 Highlander's per-workload WorkloadStatus. */
export function k8Workload({ kind, cr }: KindedWorkload): K8WorkloadStatus {
  const st = (cr.status ?? {}) as Status;
  const healthy = st.healthy === true;
  const ready = st.conditions?.find((c) => c.type === 'Ready');
  return {
    name: cr.metadata.name,
    type: WORKLOAD_KINDS[kind].type,
    active: st.active === true,
    healthy,
    ...(!healthy && st.message ? { lastError: st.message } : {}),
    lastTransition: goTime(ready?.lastTransitionTime),
    details: details({ kind, cr }, st),
  };
}

/** What K8 Highlander kept in `details` for each kind, where Highlander knows it. */
function details({ kind, cr }: KindedWorkload, st: Status): Record<string, unknown> {
  const spec = cr.spec as { schedule?: string; suspend?: boolean };
  const byKind: Record<string, Record<string, unknown>> = {
    WorkloadProcess: { podName: st.podName, podPhase: st.phase, restarts: st.restarts },
    WorkloadCronJob: {
      schedule: spec.schedule,
      suspend: spec.suspend === true,
      lastScheduleTime: st.lastScheduleTime,
      lastSuccessfulTime: st.lastSuccessfulTime,
      activeJobs: st.activeJobs,
    },
    WorkloadService: { replicas: st.replicas, readyReplicas: st.readyReplicas },
    WorkloadPersistent: { replicas: st.replicas, readyReplicas: st.readyReplicas },
  };
  const all = { namespace: cr.metadata.namespace, ...byKind[kind] };
  return Object.fromEntries(Object.entries(all).filter(([, v]) => v !== undefined));
}

/**
 * Workloads keyed by name as K8 Highlander's maps are; a name used in several namespaces gets
 * `namespace/name` (K8 Highlander had one namespace).
 */
export function keyedByName<T>(items: readonly KindedWorkload[], value: (w: KindedWorkload) => T): Record<string, T> {
  const count = new Map<string, number>();
  for (const { cr } of items) count.set(cr.metadata.name, (count.get(cr.metadata.name) ?? 0) + 1);
  const out: Record<string, T> = {};
  for (const w of items) {
    const { name, namespace } = w.cr.metadata;
    out[count.get(name) === 1 ? name : `${namespace}/${name}`] = value(w);
  }
  return out;
}

/** The four managers, keyed as /api/workloads is, each with its kind's workloads in `details`. */
export function k8WorkloadGroups(
  items: readonly KindedWorkload[],
  managers: ManagerState,
): Record<string, K8WorkloadStatus> {
  const out: Record<string, K8WorkloadStatus> = {};
  for (const g of K8_GROUPS) {
    const mine = items.filter(({ kind }) => WORKLOAD_KINDS[kind].type === g.type);
    const statuses = keyedByName(mine, k8Workload);
    const sick = Object.values(statuses).find((s) => !s.healthy);
    out[g.key] = {
      name: g.name,
      type: 'custom',
      active: managers.active,
      healthy: sick === undefined,
      ...(sick ? { lastError: `${g.type} ${sick.name} is unhealthy: ${sick.lastError ?? 'not ready'}` } : {}),
      lastTransition: managers.lastTransition === null ? GO_ZERO_TIME : goTime(managers.lastTransition),
      details: { [g.itemsKey]: statuses },
    };
  }
  return out;
}

/** The result of K8 Highlander's /api/workloads/{name}. */
export type K8Lookup = { found: K8WorkloadStatus } | { ambiguous: string[] } | { missing: true };

/**
 * K8 Highlander's lookup: a manager by its key; Highlander also answers a workload by name
 * (K8 Highlander's clients could only ask for the four managers).
 */
export function findK8Workload(items: readonly KindedWorkload[], managers: ManagerState, name: string): K8Lookup {
  const group = K8_GROUPS.find((g) => g.key === name);
  if (group) return { found: k8WorkloadGroups(items, managers)[group.key]! };
  const hits = items.filter(({ cr }) => cr.metadata.name === name);
  if (hits.length === 1) return { found: k8Workload(hits[0]!) };
  if (hits.length === 0) return { missing: true };
  return { ambiguous: hits.map(({ kind, cr }) => `${kind} ${cr.metadata.namespace}/${cr.metadata.name}`) };
}
