// Metadata of a child object: name, namespace, labels, owner, epoch stamp.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { EPOCH_LABEL, TENANT_LABEL, childLabels, ownerRef, tenantOf } from '../../api/labels.ts';
import type { Workload } from '../../api/types.ts';

/** The parts of a CR that its children are derived from (status plays no part). */
export type Owner<W extends Workload = Workload> = Pick<W, 'kind' | 'metadata' | 'spec'>;

/** Metadata for a child named `name` of `cr`, written by the leader of `epoch`. */
export function childMeta(cr: Owner, name: string, epoch: number): V1ObjectMeta {
  return {
    name,
    namespace: cr.metadata.namespace,
    // The tenant and epoch label the object only, never a pod template: a failover must not roll pods.
    labels: {
      ...childLabels(cr.metadata.name, cr.spec.labels),
      [TENANT_LABEL]: tenantOf(cr.metadata.labels),
      [EPOCH_LABEL]: String(epoch),
    },
    ...(cr.spec.annotations ? { annotations: { ...cr.spec.annotations } } : {}),
    ownerReferences: [ownerRef({ kind: cr.kind, metadata: cr.metadata })],
  };
}
