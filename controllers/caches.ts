// The caches every replica keeps: the four kinds of CR, and the children Highlander made
// (selected by its managed-by label). They run from start to stop, so a new leader begins warm.
import type {
  KubernetesObject,
  V1CronJob,
  V1Deployment,
  V1Pod,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { API_VERSION, MANAGED_BY } from '../api/labels.ts';
import { KINDS, WORKLOAD_KINDS } from '../api/types.ts';
import type { Workload, WorkloadKind } from '../api/types.ts';
import { cachesRunnable, watchCollection } from '../runtime/collection.ts';
import type { GroupMember } from '../runtime/informer-group.ts';
import type { Log } from '../runtime/logger.ts';
import type { Runnable, SyncedCache } from '../runtime/manager.ts';
import type { KubeAccess } from '../runtime/kube-access.ts';

/** Children carry this label; nothing else is cached. */
export const CHILD_SELECTOR = `${MANAGED_BY}=highlander`;

/** The informer caches of the CRs and their children. */
export interface WorkloadCaches {
  crs: Record<WorkloadKind, GroupMember<Workload>>;
  pods: GroupMember<V1Pod>;
  services: GroupMember<V1Service>;
  deployments: GroupMember<V1Deployment>;
  statefulSets: GroupMember<V1StatefulSet>;
  cronJobs: GroupMember<V1CronJob>;
  /** Every informer above as one manager part. */
  runnable: Runnable & SyncedCache;
}

/** Builds the caches (not started: the manager runs them). */
export function createWorkloadCaches(o: {
  kubeConfig: KubeAccess;
  /** Watch only these namespaces (namespaced RBAC); empty: all namespaces. */
  watchNamespaces: readonly string[];
  log: Log;
}): WorkloadCaches {
  const base = { kubeConfig: o.kubeConfig, namespaces: o.watchNamespaces, log: o.log };
  const child = <T extends KubernetesObject>(resource: string, prefix: string): GroupMember<T> =>
    watchCollection<T>({ ...base, name: resource, prefix, resource, labelSelector: CHILD_SELECTOR });
  const crs = Object.fromEntries(
    KINDS.map((k) => [
      k,
      watchCollection<Workload>({
        ...base,
        name: k,
        prefix: `/apis/${API_VERSION}`,
        resource: WORKLOAD_KINDS[k].plural,
      }),
    ]),
  ) as Record<WorkloadKind, GroupMember<Workload>>;
  const children = {
    pods: child<V1Pod>('pods', '/api/v1'),
    services: child<V1Service>('services', '/api/v1'),
    deployments: child<V1Deployment>('deployments', '/apis/apps/v1'),
    statefulSets: child<V1StatefulSet>('statefulsets', '/apis/apps/v1'),
    cronJobs: child<V1CronJob>('cronjobs', '/apis/batch/v1'),
  };
  const all = [...Object.values(crs), ...Object.values(children)] as GroupMember<KubernetesObject>[];
  return { crs, ...children, runnable: cachesRunnable('caches', all) };
}
