// WorkloadPersistent → a StatefulSet named `<name>` with volume claim templates, and the
// headless Service it needs (spec.serviceName, default `<name>`).
import type { V1Service, V1StatefulSet } from '@kubernetes/client-node';
import { childMeta } from '../shared/child-meta.ts';
import { selectorLabels, tenantOf } from '../../api/labels.ts';
import { podTemplate } from '../shared/pod-template.ts';
import type { Owner } from '../shared/child-meta.ts';
import type { WorkloadPersistent } from '../../api/types.ts';
import { servicePorts } from '../service/desired.ts';

/** The headless Service's name. */
export const headlessName = (cr: Owner<WorkloadPersistent>): string => cr.spec.serviceName || cr.metadata.name;

/** The StatefulSet a WorkloadPersistent should have. */
export function desiredStatefulSet(cr: Owner<WorkloadPersistent>, epoch: number): V1StatefulSet {
  const pvs = cr.spec.persistentVolumes ?? [];
  return {
    apiVersion: 'apps/v1',
    kind: 'StatefulSet',
    metadata: childMeta(cr, cr.metadata.name, epoch),
    spec: {
      replicas: cr.spec.replicas,
      serviceName: headlessName(cr),
      selector: { matchLabels: selectorLabels(cr.metadata.name) },
      // A StatefulSet makes the pod of an ordinal again only once the old one is gone: at most
      // one per replica without a gate.
      template: podTemplate(cr.metadata.name, cr.spec, {
        tenant: tenantOf(cr.metadata.labels),
        extraMounts: pvs.map((v) => ({ name: v.name, mountPath: v.mountPath })),
      }),
      ...(pvs.length
        ? {
            volumeClaimTemplates: pvs.map((v) => ({
              metadata: { name: v.name },
              spec: {
                accessModes: ['ReadWriteOnce'],
                resources: { requests: { storage: v.size } },
                ...(v.storageClassName ? { storageClassName: v.storageClassName } : {}),
              },
            })),
          }
        : {}),
    },
  };
}

/** The headless Service a WorkloadPersistent should have. */
export function desiredHeadlessService(cr: Owner<WorkloadPersistent>, epoch: number): V1Service {
  const ports = servicePorts(cr.spec.ports);
  return {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: childMeta(cr, headlessName(cr), epoch),
    spec: {
      clusterIP: 'None',
      selector: selectorLabels(cr.metadata.name),
      ...(ports?.length ? { ports } : {}),
    },
  };
}
