// WorkloadProcess: keep exactly one pod, `<name>-pod`. Pods are immutable, so a spec change,
// or a pod that finished against its restart policy, means delete and create again.
import { createHash } from 'node:crypto';
import type { V1Pod } from '@kubernetes/client-node';
import type { ObjectCache } from '../../operator/reconcile/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { deleteChild } from '../shared/apply.ts';
import { GROUP } from '../shared/labels.ts';
import type { KindDriver, WorkloadCR } from '../shared/workload-reconciler.ts';
import { desiredPod, podName } from './desired.ts';
import type { ProcessCR } from './desired.ts';
import { observeProcess } from './observe.ts';
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

type CR = ProcessCR & WorkloadCR;

/** The process kind's steps and observation. */
export function processDriver(pods: ObjectCache<V1Pod>, writer: ChildWriter): KindDriver<CR, ProcessStatusFields> {
  const podOf = (cr: Readonly<CR>) => pods.get(`${cr.metadata.namespace}/${podName(cr)}`);
  return {
    kind: 'WorkloadProcess',
    steps: (cr, epoch) => [
      async () => {
        const desired = desiredPod(cr, epoch);
        const hash = specHash(desired);
        desired.metadata!.annotations = { ...desired.metadata!.annotations, [SPEC_HASH_ANNOTATION]: hash };
        const existing = podOf(cr);
        if (existing?.metadata?.deletionTimestamp) return undefined; // its delete event brings us back
        if (existing) {
          const why = replaceReason(existing, hash, cr.spec.restartPolicy ?? 'Always');
          if (!why) return undefined;
          return (await deleteChild(writer, existing, epoch)) ? `Replacing: pod ${podName(cr)}: ${why}` : undefined;
        }
        await writer.apply(desired);
        return `Created: pod ${podName(cr)}`;
      },
    ],
    observe: (cr) => observeProcess(podOf(cr), cr.spec.restartPolicy ?? 'Always'),
  };
}
