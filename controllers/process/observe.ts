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

type Outcome = Omit<KindObservation<ProcessStatusFields>, 'fields'>;

// What each state of the pod means for the CR. `active`: the process runs; `ready`: the CR is
// where its spec wants it; `reconciling`: the leader still has work to do (or waits for the pod).
const OUTCOMES = {
  creating: {
    active: false,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Creating',
    reason: 'Creating',
    message: 'creating the pod',
  },
  terminating: {
    active: false,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Terminating',
    reason: 'Replacing',
    message: 'the pod is being deleted; a new one follows',
  },
  running: {
    active: true,
    healthy: true,
    ready: true,
    reconciling: false,
    phase: 'Running',
    reason: 'Running',
    message: 'the pod is running and ready',
  },
  notReady: {
    active: true,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Running',
    reason: 'NotReady',
    message: 'the pod is running but not ready',
  },
  exitedRestarting: {
    active: false,
    healthy: true,
    ready: false,
    reconciling: true,
    phase: 'Succeeded',
    reason: 'Restarting',
    message: 'the process exited; starting it again',
  },
  completed: {
    active: false,
    healthy: true,
    ready: true,
    reconciling: false,
    phase: 'Succeeded',
    reason: 'Completed',
    message: 'the process completed',
  },
  failed: {
    active: false,
    healthy: false,
    ready: false,
    reconciling: false,
    phase: 'Failed',
    reason: 'Failed',
    message: 'the process failed',
  },
  failedRestarting: {
    active: false,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Failed',
    reason: 'Restarting',
    message: 'the process failed; starting it again',
  },
  pending: {
    active: true,
    healthy: false,
    ready: false,
    reconciling: true,
    phase: 'Pending',
    reason: 'Pending',
    message: 'the pod is pending',
  },
} satisfies Record<string, Outcome>;

/** Which outcome the pod's state is, given the CR's restart policy. */
function outcomeOf(pod: V1Pod, restartPolicy: string): Outcome {
  if (pod.metadata?.deletionTimestamp) return OUTCOMES.terminating;
  switch (pod.status?.phase) {
    case 'Running':
      return pod.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True')
        ? OUTCOMES.running
        : OUTCOMES.notReady;
    case 'Succeeded':
      return restartPolicy === 'Always' ? OUTCOMES.exitedRestarting : OUTCOMES.completed;
    case 'Failed':
      return restartPolicy === 'Never'
        ? { ...OUTCOMES.failed, message: pod.status.message || OUTCOMES.failed.message }
        : OUTCOMES.failedRestarting;
    default:
      return OUTCOMES.pending;
  }
}

/** The observation of a process from its pod (undefined: no pod yet). */
export function observeProcess(pod: V1Pod | undefined, restartPolicy: string): KindObservation<ProcessStatusFields> {
  if (!pod) return { ...OUTCOMES.creating, fields: {} };
  return { ...outcomeOf(pod, restartPolicy), fields: { podName: pod.metadata?.name ?? '', restarts: restartsOf(pod) } };
}
