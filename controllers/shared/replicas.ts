// What a Deployment or StatefulSet says about a service or persistent workload.
import type { V1Deployment, V1StatefulSet } from '@kubernetes/client-node';
import type { WorkloadServiceStatus } from '../../api/types.ts';
import type { KindObservation } from './status.ts';

/** Replica counts in a service or persistent workload's status. */
export type ReplicaStatusFields = Pick<WorkloadServiceStatus, 'replicas' | 'readyReplicas'>;

/** The observation of a replicated child (undefined: not created yet). */
export function observeReplicas(
  child: V1Deployment | V1StatefulSet | undefined,
  wanted: number,
  noun: string,
): KindObservation<ReplicaStatusFields> {
  if (!child) {
    return {
      active: false,
      healthy: false,
      ready: false,
      reconciling: true,
      phase: 'Creating',
      reason: 'Creating',
      message: `creating the ${noun}`,
      fields: { replicas: wanted, readyReplicas: 0 },
    };
  }
  const ready = child.status?.readyReplicas ?? 0;
  const updated = child.status?.updatedReplicas ?? 0;
  const current = (child.status?.observedGeneration ?? 0) >= (child.metadata?.generation ?? 0);
  const fields = { replicas: wanted, readyReplicas: ready };
  if (wanted === 0) {
    return {
      active: false,
      healthy: true,
      ready: true,
      reconciling: false,
      phase: 'ScaledToZero',
      reason: 'ScaledToZero',
      message: 'replicas is 0',
      fields,
    };
  }
  if (current && ready >= wanted && updated >= wanted) {
    return {
      active: true,
      healthy: true,
      ready: true,
      reconciling: false,
      phase: 'Running',
      reason: 'Running',
      message: `${ready}/${wanted} replicas ready`,
      fields,
    };
  }
  return {
    active: true,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Progressing',
    reason: 'Progressing',
    message: `${ready}/${wanted} replicas ready`,
    fields,
  };
}
