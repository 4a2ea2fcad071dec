// Metadata of a child object: name, namespace, labels, owner, epoch stamp.
import type { V1ObjectMeta } from '@kubernetes/client-node';
import { EPOCH_ANNOTATION, childLabels, ownerRef } from '../../api/labels.ts';

/** The parts of a CR that children are derived from. */
export interface OwnerCR {
  kind: string;
  metadata: { name: string; namespace: string; uid: string; generation?: number; labels?: Record<string, string> };
  spec: { labels?: Record<string, string>; annotations?: Record<string, string> };
}

/** Metadata for a child named `name` of `cr`, written by the leader of `epoch`. */
export function childMeta(cr: OwnerCR, name: string, epoch: number): V1ObjectMeta {
  return {
    name,
    namespace: cr.metadata.namespace,
    labels: childLabels(cr.metadata.name, cr.spec.labels),
    annotations: { ...cr.spec.annotations, [EPOCH_ANNOTATION]: String(epoch) },
    ownerReferences: [ownerRef({ kind: cr.kind, metadata: cr.metadata })],
  };
}
