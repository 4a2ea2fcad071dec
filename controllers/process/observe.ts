// What a WorkloadProcess's pod says about it.
import type { V1Pod } from '@kubernetes/client-node';
import type { WorkloadProcessStatus } from '../../api/types.ts';
import type { KindObservation } from '../shared/status.ts';

/** Process-specific status fields. */
export type ProcessStatusFields = Pick<WorkloadProcessStatus, 'podName' | 'restarts'>;

/** Container restarts of the pod, as the kubelet counts them. */
export function restartsOf(pod: Readonly<V1Pod> | undefined): number {
  return (pod?.status?.containerStatuses ?? []).reduce((n, c) => n + (c.restartCount ?? 0), 0);
}

/** The observation of a process from its pod (undefined: no pod yet). */
export function observeProcess(pod: V1Pod | undefined, restartPolicy: string): KindObservation<ProcessStatusFields> {
  if (!pod) {
    return {
      active: false,
      healthy: false,
      ready: false,
      reconciling: true,
      phase: 'Creating',
      reason: 'Creating',
      message: 'creating the pod',
      fields: {},
    };
  }
  const fields = {
    podName: pod.metadata?.name ?? '',
    restarts: restartsOf(pod),
  };
  const phase = pod.status?.phase ?? 'Pending';
  const podReady = pod.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false;
  if (pod.metadata?.deletionTimestamp) {
    return {
      active: false,
      healthy: false,
      ready: false,
      reconciling: true,
      phase: 'Terminating',
      reason: 'Replacing',
      message: 'the pod is being deleted; a new one follows',
      fields,
    };
  }
  switch (phase) {
    case 'Running':
      return podReady
        ? {
            active: true,
            healthy: true,
            ready: true,
            reconciling: false,
            phase,
            reason: 'Running',
            message: 'the pod is running and ready',
            fields,
          }
        : {
            active: true,
            healthy: false,
            ready: false,
            reconciling: true,
            phase,
            reason: 'NotReady',
            message: 'the pod is running but not ready',
            fields,
          };
    case 'Succeeded':
      return restartPolicy === 'Always'
        ? {
            active: false,
            healthy: true,
            ready: false,
            reconciling: true,
            phase,
            reason: 'Restarting',
            message: 'the process exited; starting it again',
            fields,
          }
        : {
            active: false,
            healthy: true,
            ready: true,
            reconciling: false,
            phase,
            reason: 'Completed',
            message: 'the process completed',
            fields,
          };
    case 'Failed':
      return restartPolicy === 'Never'
        ? {
            active: false,
            healthy: false,
            ready: false,
            reconciling: false,
            phase,
            reason: 'Failed',
            message: pod.status?.message || 'the process failed',
            fields,
          }
        : {
            active: false,
            healthy: false,
            ready: false,
            reconciling: true,
            phase,
            reason: 'Restarting',
            message: 'the process failed; starting it again',
            fields,
          };
    default:
      return {
        active: true,
        healthy: false,
        ready: false,
        reconciling: true,
        phase: 'Pending',
        reason: 'Pending',
        message: 'the pod is pending',
        fields,
      };
  }
}
