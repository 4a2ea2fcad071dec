// Workloads as the HTTP API shows them: one entry per CR, by name, from the informer caches.
import { KINDS, WORKLOAD_KINDS } from '../api/types.ts';
import type { Workload, WorkloadKind, WorkloadType } from '../api/types.ts';
import type { V1Pod } from '@kubernetes/client-node';
import { WORKLOAD_LABEL, epochOf } from '../api/labels.ts';
import type { WorkloadView } from './event-hub.ts';
import { formatAge } from '../runtime/duration.ts';
import type { ObjectCache } from '../runtime/types.ts';

/** One workload in /api/workloads and /status's workloadStatus. */
export interface WorkloadSummary {
  name: string;
  namespace: string;
  type: WorkloadType;
  kind: WorkloadKind;
  active: boolean;
  healthy: boolean;
  phase: string;
  message: string;
  leader: string;
  epoch: number;
  status: Record<string, unknown>;
}

/** One CR as the API shows it. */
export function summarize(kind: WorkloadKind, cr: Readonly<Workload>): WorkloadSummary {
  const st = (cr.status ?? {}) as Record<string, unknown>;
  return {
    name: cr.metadata.name,
    namespace: cr.metadata.namespace,
    type: WORKLOAD_KINDS[kind].type,
    kind,
    active: st.active === true,
    healthy: st.healthy === true,
    phase: typeof st.phase === 'string' ? st.phase : '',
    message: typeof st.message === 'string' ? st.message : '',
    leader: typeof st.leader === 'string' ? st.leader : '',
    epoch: typeof st.epoch === 'number' ? st.epoch : 0,
    status: st,
  };
}

/** The fields the live views show (no raw status). */
export function viewOf(w: WorkloadSummary): WorkloadView {
  return {
    kind: w.kind,
    type: w.type,
    namespace: w.namespace,
    name: w.name,
    active: w.active,
    healthy: w.healthy,
    phase: w.phase,
    message: w.message,
  };
}

/** A CR from the caches with its kind. */
export interface KindedWorkload {
  kind: WorkloadKind;
  cr: Readonly<Workload>;
}

/** Every CR in the caches (that `include` accepts), kind by kind. */
export function listCrs(
  caches: Record<WorkloadKind, ObjectCache<Workload>>,
  include: (cr: Readonly<Workload>) => boolean = () => true,
): KindedWorkload[] {
  return KINDS.flatMap((kind) =>
    caches[kind]
      .list()
      .filter(include)
      .map((cr) => ({ kind, cr })),
  );
}

/** Every workload in the caches (that `include` accepts). */
export function listWorkloads(
  caches: Record<WorkloadKind, ObjectCache<Workload>>,
  include: (cr: Readonly<Workload>) => boolean = () => true,
): WorkloadSummary[] {
  return listCrs(caches, include).map(({ kind, cr }) => summarize(kind, cr));
}

/**
 * Workloads keyed by name (K8 Highlander's routes take a name); a name used twice gets
 * `namespace/name` and, if still ambiguous, `kind/namespace/name`.
 */
export function byName(all: readonly WorkloadSummary[]): Record<string, WorkloadSummary> {
  const count = (f: (w: WorkloadSummary) => string) =>
    all.reduce((m, w) => m.set(f(w), (m.get(f(w)) ?? 0) + 1), new Map<string, number>());
  const names = count((w) => w.name);
  const byNs = count((w) => `${w.namespace}/${w.name}`);
  const out: Record<string, WorkloadSummary> = {};
  for (const w of all) {
    const key =
      names.get(w.name) === 1
        ? w.name
        : byNs.get(`${w.namespace}/${w.name}`) === 1
          ? `${w.namespace}/${w.name}`
          : `${w.kind}/${w.namespace}/${w.name}`;
    out[key] = w;
  }
  return out;
}

/** The result of looking a workload up by name (and namespace). */
export type Lookup = { found: WorkloadSummary } | { ambiguous: string[] } | { missing: true };

/** Finds one workload by name, or by namespace and name. */
export function findWorkload(all: readonly WorkloadSummary[], name: string, namespace?: string): Lookup {
  const hits = all.filter((w) => w.name === name && (namespace === undefined || w.namespace === namespace));
  if (hits.length === 1) return { found: hits[0]! };
  if (hits.length === 0) return { missing: true };
  return { ambiguous: hits.map((w) => `${w.kind} ${w.namespace}/${w.name}`) };
}

/** One pod in /api/pods (K8 Highlander's fields). */
export interface PodView {
  name: string;
  namespace: string;
  status: string;
  node: string;
  age: string;
  createdAt: string | null;
  /** The workload it belongs to, and the leader whose epoch last wrote it. */
  workload: string;
  epoch: number;
  leaderId: string;
  /** The same as leaderId: K8 Highlander's later versions named the field so. */
  controllerId: string;
  clusterName: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
}

/**
 * The pods of this tenant's workloads, sorted by namespace and name. `leaders` maps each of
 * them ("namespace/name") to the leader recorded in its status, which becomes `leaderId`.
 */
export function podViews(
  pods: readonly Readonly<V1Pod>[],
  leaders: ReadonlyMap<string, string>,
  clusterName: string,
  now: number,
): PodView[] {
  return pods
    .map((pod) => {
      const workload = pod.metadata?.labels?.[WORKLOAD_LABEL] ?? '';
      return { pod, workload, leader: leaders.get(`${pod.metadata?.namespace}/${workload}`) };
    })
    .filter((p): p is typeof p & { leader: string } => p.workload !== '' && p.leader !== undefined)
    .map(({ pod, workload, leader }) => {
      const created = pod.metadata?.creationTimestamp ? new Date(pod.metadata.creationTimestamp) : undefined;
      return {
        name: pod.metadata?.name ?? '',
        namespace: pod.metadata?.namespace ?? '',
        status: pod.metadata?.deletionTimestamp ? 'Terminating' : (pod.status?.phase ?? 'Pending'),
        node: pod.spec?.nodeName ?? '',
        age: created ? formatAge(now - created.getTime()) : '',
        createdAt: created ? created.toISOString() : null,
        workload,
        epoch: epochOf(pod.metadata),
        leaderId: leader,
        controllerId: leader,
        clusterName,
        labels: { ...pod.metadata?.labels },
        annotations: { ...pod.metadata?.annotations },
      };
    })
    .sort((a, b) => a.namespace.localeCompare(b.namespace) || a.name.localeCompare(b.name));
}
