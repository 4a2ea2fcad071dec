// The epoch floor: the highest epoch this tenant's leaders have written, as the caches show it
// (CR statuses and children's epoch annotations). A store that lost its counter (Redis restarted
// without persistence, the Lease deleted, a table dropped or restored) grants low epochs again;
// the new leader raises its own above this floor, so it can still manage what it finds.
import { API_VERSION, epochOf, inTenant } from '../api/labels.ts';
import { KINDS } from '../api/types.ts';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { WorkloadCaches } from './caches.ts';

/** The highest epoch written on `tenant`'s CRs and on the children they own. */
export function highestEpochSeen(caches: WorkloadCaches, tenant: string): number {
  const ours = inTenant(tenant);
  const owners = new Set<string>();
  let highest = 0;
  for (const kind of KINDS) {
    for (const cr of caches.crs[kind].list()) {
      if (!ours(cr)) continue;
      owners.add(cr.metadata.uid);
      highest = Math.max(highest, cr.status?.epoch ?? 0, epochOf(cr.metadata));
    }
  }
  const children: readonly { list(): readonly Readonly<KubernetesObject>[] }[] = [
    caches.pods,
    caches.services,
    caches.deployments,
    caches.statefulSets,
    caches.cronJobs,
  ];
  for (const cache of children) {
    for (const child of cache.list()) {
      const owned = child.metadata?.ownerReferences?.some((r) => r.apiVersion === API_VERSION && owners.has(r.uid));
      if (owned) highest = Math.max(highest, epochOf(child.metadata));
    }
  }
  return highest;
}
