// WorkloadProcess: keep exactly one pod, `<name>-pod`. Pods are immutable, so a spec change,
// or a pod that finished against its restart policy, means delete and create again.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import { keyOf } from '../../runtime/types.ts';
import type { ObjectCache } from '../../runtime/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { NameTaken, controlOf, deleteChild, stampPatch } from '../shared/apply.ts';
import { GROUP, epochOf } from '../../api/labels.ts';
import type { WorkloadProcess } from '../../api/types.ts';
import type { KindDriver } from '../shared/workload-reconciler.ts';
import { desiredPod, podName } from './desired.ts';
import { observeProcess, restartsOf } from './observe.ts';
import type { ProcessStatusFields } from './observe.ts';

/** Annotation on the pod: a hash of the spec it was made from (pods cannot be updated in place). */
export const SPEC_HASH_ANNOTATION = `${GROUP}/spec-hash`;

/** A short, stable hash of a pod spec. */
export function specHash(pod: V1Pod): string {
  return createHash('sha256').update(JSON.stringify(pod.spec)).digest('hex').slice(0, 16);
}

/** Why an existing pod must be replaced, or undefined to keep it. */
export function replaceReason(pod: Readonly<V1Pod>, wantedHash: string, restartPolicy: string): string | undefined {
  if (pod.metadata?.annotations?.[SPEC_HASH_ANNOTATION] !== wantedHash) return 'the spec changed';
  const phase = pod.status?.phase;
  if (phase === 'Succeeded' && restartPolicy === 'Always') return 'the process exited';
  if (phase === 'Failed' && restartPolicy !== 'Never') return 'the process failed';
  return undefined;
}

/**
 * Why a pod under the process's name is not this CR's to keep: left by a deleted namesake (it is
 * replaced, not kept on under an owner the garbage collector will delete it for). A pod another
 * controller owns is refused.
 */
function ownerProblem(pod: Readonly<V1Pod>, desired: Readonly<V1Pod>): string | undefined {
  const control = controlOf(pod, desired);
  if (control.by === 'other') {
    throw new NameTaken(`pod ${pod.metadata?.namespace}/${pod.metadata?.name}`, control.ref, 'pod');
  }
  return control.by === 'namesake' ? 'it was left by a deleted WorkloadProcess of this name' : undefined;
}

/** The reason a process is stopped for good: it restarted more often than `maxRestarts`. */
export const MAX_RESTARTS_REASON = 'MaxRestartsExceeded';

/** Whether this generation's status says the process was given up. */
function statusGaveUp(cr: Readonly<WorkloadProcess>): boolean {
  const stalled = cr.status?.conditions?.find((c) => c.type === 'Stalled');
  return (
    stalled?.status === 'True' &&
    stalled.reason === MAX_RESTARTS_REASON &&
    cr.status?.observedGeneration === cr.metadata.generation
  );
}

/** The process kind's steps and observation. */
export function processDriver(
  pods: ObjectCache<V1Pod>,
  writer: ChildWriter,
): KindDriver<WorkloadProcess, ProcessStatusFields> {
  const podOf = (cr: Readonly<WorkloadProcess>) => pods.get(`${cr.metadata.namespace}/${podName(cr)}`);
  // Generations this leader gave up, by key: the cache may not show our Stalled status yet when
  // the deleted pod's event brings the CR back, and a new pod must not follow.
  const givenUp = new Map<string, { generation: number; restarts: number }>();
  const gaveUp = (cr: Readonly<WorkloadProcess>): boolean =>
    givenUp.get(keyOf(cr))?.generation === cr.metadata.generation || statusGaveUp(cr);
  return {
    kind: 'WorkloadProcess',
    steps: (cr, guard) => [
      async () => {
        const desired = desiredPod(cr, guard.epoch);
        const hash = specHash(desired);
        desired.metadata!.annotations = { ...desired.metadata!.annotations, [SPEC_HASH_ANNOTATION]: hash };
        const existing = podOf(cr);
        if (existing?.metadata?.deletionTimestamp) return undefined; // its delete event brings us back
        const max = cr.spec.maxRestarts;
        if (gaveUp(cr)) {
          // Stopped for good until the spec changes: no pod runs.
          return existing && (await deleteChild(writer, existing, guard))
            ? { reason: 'Stopped', message: `pod ${podName(cr)}: maxRestarts was exceeded` }
            : undefined;
        }
        if (existing && max !== undefined && restartsOf(existing) > max) {
          givenUp.set(keyOf(cr), { generation: cr.metadata.generation ?? 0, restarts: restartsOf(existing) });
          await deleteChild(writer, existing, guard);
          return {
            reason: 'GaveUp',
            message: `pod ${podName(cr)}: ${restartsOf(existing)} restarts, more than maxRestarts (${max}); edit the spec to start it again`,
          };
        }
        if (existing) {
          const why =
            ownerProblem(existing, desired) ?? replaceReason(existing, hash, cr.spec.restartPolicy ?? 'Always');
          if (!why) {
            // Adopted by a new leader: restamped with its epoch (metadata only; the pod keeps running).
            if (epochOf(existing.metadata) < guard.epoch) {
              await writer.patch(existing, stampPatch(guard.epoch), guard);
            }
            return undefined;
          }
          return (await deleteChild(writer, existing, guard))
            ? { reason: 'Replacing', message: `pod ${podName(cr)}: ${why}` }
            : undefined;
        }
        await writer.create(desired, guard);
        return { reason: 'Created', message: `pod ${podName(cr)}` };
      },
    ],
    observe: (cr) => {
      const pod = podOf(cr);
      const max = cr.spec.maxRestarts;
      if (max !== undefined && (gaveUp(cr) || restartsOf(pod) > max)) {
        const remembered = givenUp.get(keyOf(cr));
        const restarts = Math.max(
          restartsOf(pod),
          remembered && remembered.generation === cr.metadata.generation ? remembered.restarts : 0,
          cr.status?.restarts ?? 0,
        );
        const message = `gave up after ${restarts} restarts (maxRestarts ${max}); edit the spec to start it again`;
        return {
          active: false,
          healthy: false,
          ready: false,
          reconciling: false,
          phase: 'Failed',
          reason: MAX_RESTARTS_REASON,
          message,
          stalled: { reason: MAX_RESTARTS_REASON, message },
          fields: { podName: podName(cr), restarts },
        };
      }
      return observeProcess(pod, cr.spec.restartPolicy ?? 'Always');
    },
  };
}
