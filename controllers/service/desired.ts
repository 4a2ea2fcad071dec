// WorkloadService → a Deployment (Recreate: two pods of a singleton never overlap) and a
// Service for its ports, both named `<name>`.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import { childMeta } from '../shared/child-meta.ts';
import type { Owner } from '../shared/child-meta.ts';
import type { WorkloadService, WorkloadServiceSpec } from '../../api/types.ts';
import { selectorLabels, tenantOf } from '../../api/labels.ts';
import { podTemplate } from '../shared/pod-template.ts';

/** The Deployment a WorkloadService should have. */
export function desiredDeployment(cr: Owner<WorkloadService>, epoch: number): V1Deployment {
  return {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: childMeta(cr, cr.metadata.name, epoch),
    spec: {
      replicas: cr.spec.replicas,
      strategy: { type: 'Recreate' },
      selector: { matchLabels: selectorLabels(cr.metadata.name) },
      template: podTemplate(cr.metadata.name, cr.spec, { tenant: tenantOf(cr.metadata.labels), held: true }),
    },
  };
}

/** The Service's ports: servicePort (default: the container port) → containerPort. */
export function servicePorts(ports: WorkloadServiceSpec['ports']): NonNullable<V1Service['spec']>['ports'] {
  return (ports ?? []).map((p, i) => ({
    name: p.name ?? `port-${i}`,
    port: p.servicePort ?? p.containerPort,
    targetPort: p.containerPort,
    protocol: p.protocol ?? 'TCP',
  }));
}

/** The Service a WorkloadService should have, or none when it has no ports. */
export function desiredService(cr: Owner<WorkloadService>, epoch: number): V1Service | undefined {
  if (!cr.spec.ports?.length) return undefined;
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cr, cr.metadata.name, epoch),
    spec: { selector: selectorLabels(cr.metadata.name), ports: servicePorts(cr.spec.ports) },
  };
}
