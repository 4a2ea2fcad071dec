// WorkloadProcess → one Pod named `<name>-pod` (K8 Highlander's name).
import type { V1Pod } from '@kubernetes/client-node';
import { parseDuration } from '../../runtime/duration.ts';
import type { WorkloadProcess } from '../../api/types.ts';
import { childMeta } from '../shared/child-meta.ts';
import type { Owner } from '../shared/child-meta.ts';
import { podTemplate } from '../shared/pod-template.ts';

/** The pod's name. */
export const podName = (cr: { metadata: { name: string } }): string => `${cr.metadata.name}-pod`;

/** The pod a WorkloadProcess should have. */
export function desiredPod(cr: Owner<WorkloadProcess>, epoch: number): V1Pod {
  const grace = cr.spec.gracePeriod ? parseDuration(cr.spec.gracePeriod) : undefined;
  const t = podTemplate(cr.metadata.name, cr.spec, {
    restartPolicy: cr.spec.restartPolicy ?? 'Always',
    ...(grace !== undefined ? { terminationGracePeriodSeconds: Math.ceil(grace / 1000) } : {}),
  });
  const meta = childMeta(cr, podName(cr), epoch);
  return {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      ...meta,
      labels: { ...meta.labels, ...t.metadata?.labels },
      annotations: { ...t.metadata?.annotations, ...meta.annotations },
    },
    spec: t.spec!,
  };
}
