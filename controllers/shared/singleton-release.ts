// At most one running pod per singleton, whatever Kubernetes' own controllers do. A ReplicaSet or
// a Job creates a replacement pod as soon as the old one is deleted or evicted, while the old
// container still runs out its grace period (or runs on, on a node that stopped answering):
// controllers are at-least-once. So the pods of Deployments and Jobs are created held back by a
// scheduling gate, and the leader releases one only while fewer pods of the workload may be
// running than it is allowed: a pod that is terminating, or on a node that went NotReady, still
// counts until its object is gone or its phase is final. The release is a write the API server
// fences: only a leader at the tenant's current epoch can let a pod start.
import type { V1Pod } from '@kubernetes/client-node';
import { RELEASED_EPOCH_ANNOTATION, SINGLETON_GATE, WORKLOAD_LABEL } from '../../api/labels.ts';
import type { CacheIndex } from '../../runtime/index.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import type { ChildWriter } from './apply.ts';
import type { Step } from './workload-reconciler.ts';

/** The index key of a pod: its namespace and workload. */
export const podWorkloadKey = (pod: Readonly<V1Pod>): string | undefined => {
  const w = pod.metadata?.labels?.[WORKLOAD_LABEL];
  return w ? `${pod.metadata?.namespace}/${w}` : undefined;
};

/** Whether the pod still waits for its release. */
export const isHeld = (pod: Readonly<V1Pod>): boolean =>
  pod.spec?.schedulingGates?.some((g) => g.name === SINGLETON_GATE) ?? false;

/** Whether the pod's containers may be running (or start): not held, and not in a final phase. */
export const mayRun = (pod: Readonly<V1Pod>): boolean =>
  !isHeld(pod) && pod.status?.phase !== 'Succeeded' && pod.status?.phase !== 'Failed';

/** The pods to release now: the oldest held ones, while fewer than `allowed` may run. */
export function podsToRelease(pods: readonly Readonly<V1Pod>[], allowed: number): Readonly<V1Pod>[] {
  const running = pods.filter(mayRun).length;
  const held = pods
    .filter((p) => isHeld(p) && !p.metadata?.deletionTimestamp)
    .sort((a, b) => String(a.metadata?.creationTimestamp).localeCompare(String(b.metadata?.creationTimestamp)));
  return held.slice(0, Math.max(0, allowed - running));
}

/** A step that releases the held pods of workload `ns/name` that may start now. */
export function releaseStep(
  writer: ChildWriter,
  pods: CacheIndex<V1Pod>,
  workload: string,
  allowed: number,
  guard: WriteGuard,
): Step {
  return async () => {
    const release = podsToRelease(pods.get(workload), allowed);
    for (const pod of release) {
      await writer.patch(
        pod,
        {
          metadata: { annotations: { [RELEASED_EPOCH_ANNOTATION]: String(guard.epoch) } },
          spec: { schedulingGates: (pod.spec?.schedulingGates ?? []).filter((g) => g.name !== SINGLETON_GATE) },
        },
        guard,
      );
    }
    return release.length
      ? { reason: 'Released', message: release.map((p) => `pod ${p.metadata?.name}`).join(', ') }
      : undefined;
  };
}
