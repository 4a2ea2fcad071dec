// Metadata of a child object: name, namespace, labels, owner, epoch stamp.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { EPOCH_ANNOTATION, childLabels, ownerRef } from '../../api/labels.ts';
import type { Workload } from '../../api/types.ts';

/** The parts of a CR that its children are derived from (status plays no part). */
export type Owner<W extends Workload = Workload> = Pick<W, 'kind' | 'metadata' | 'spec'>;

/** Metadata for a child named `name` of `cr`, written by the leader of `epoch`. */
export function childMeta(cr: Owner, name: string, epoch: number): V1ObjectMeta {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: childLabels(cr.metadata.name, cr.spec.labels),
    annotations: { ...cr.spec.annotations, [EPOCH_ANNOTATION]: String(epoch) },
    ownerReferences: [ownerRef({ kind: cr.kind, metadata: cr.metadata })],
  };
}
