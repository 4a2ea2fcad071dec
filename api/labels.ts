// Labels, annotations and owner references every child carries.
import type { V1OwnerReference } from '@kubernetes/client-node';

/** API group and version of Highlander's custom resources. */
export const GROUP = 'highlander.plexobject.io';
export const VERSION = 'v1';
export const API_VERSION = `${GROUP}/${VERSION}`;

/** Label: who manages a child. */
export const MANAGED_BY = 'app.kubernetes.io/managed-by';
/** Label: the workload (CR name) a child or pod belongs to; also the pod selector. */
export const WORKLOAD_LABEL = `${GROUP}/workload`;
/** Label on CRs: the tenant (election) that reconciles them; absent means `default`. */
export const TENANT_LABEL = `${GROUP}/tenant`;
/** Label on CRs made from the config file. */
export const SOURCE_LABEL = `${GROUP}/source`;
/**
 * Label on children and config-file CRs: the epoch of the leader that last wrote them (fencing).
 * A label, not an annotation: an annotation change bumps a Deployment's generation, which would
 * make every Deployment look like it was rolling after each failover.
 */
export const EPOCH_LABEL = `${GROUP}/epoch`;
/** Where versions before the label kept the epoch (read, never written). */
export const EPOCH_ANNOTATION = `${GROUP}/epoch`;
/** Label on the Leases that hold each tenant's current epoch for the admission policy (the fence). */
export const FENCE_LABEL = `${GROUP}/fence`;
/** How the admission policies' refusals begin (a stored epoch or the fence is newer than the write's). */
export const FENCE_POLICY = 'highlander epoch fence:';
/** Annotation on a pod the operator let start (removed its scheduling gate): that leader's epoch. */
export const RELEASED_EPOCH_ANNOTATION = `${GROUP}/released-epoch`;
/** The scheduling gate that holds a workload's new pod until no other pod of it can run. */
export const SINGLETON_GATE = `${GROUP}/singleton`;

/** The field manager for server-side apply. */
export const FIELD_MANAGER = 'highlander';

/** The tenant a CR belongs to. */
export function tenantOf(labels: Record<string, string> | undefined): string {
  return labels?.[TENANT_LABEL] || 'default';
}

/** Whether an object belongs to `tenant`: the one filter every part of an operator applies to CRs. */
export function inTenant(tenant: string): (obj: { metadata?: { labels?: Record<string, string> } }) => boolean {
  return (obj) => tenantOf(obj.metadata?.labels) === tenant;
}

/** Labels that select a workload's pods (stable for the workload's life: never add to these). */
export function selectorLabels(workload: string): Record<string, string> {
  return { [WORKLOAD_LABEL]: workload };
}

/** Labels for a child object and its pods: the user's labels plus ours (ours win). */
export function childLabels(workload: string, user: Record<string, string> | undefined): Record<string, string> {
  return { ...user, [MANAGED_BY]: 'highlander', ...selectorLabels(workload) };
}

/** The controller owner reference to a CR (deleting the CR garbage-collects the child). */
export function ownerRef(owner: { kind: string; metadata: { name: string; uid: string } }): V1OwnerReference {
  return {
    apiVersion: API_VERSION,
    kind: owner.kind,
    name: owner.metadata.name,
    uid: owner.metadata.uid,
    controller: true,
    blockOwnerDeletion: true,
  };
}

/** The epoch an object was last written with: its label, else an older version's annotation (0: not ours yet). */
export function epochOf(
  meta: { labels?: Record<string, string>; annotations?: Record<string, string> } | undefined,
): number {
  for (const v of [meta?.labels?.[EPOCH_LABEL], meta?.annotations?.[EPOCH_ANNOTATION]]) {
    const n = Number(v);
    if (v !== undefined && v !== '' && Number.isFinite(n)) return n;
  }
  return 0;
}
