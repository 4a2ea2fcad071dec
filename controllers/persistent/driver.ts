// WorkloadPersistent: the headless Service first (the StatefulSet names it), then the StatefulSet.
import type { V1Service, V1StatefulSet } from '@kubernetes/client-node';
import type { ObjectCache } from '../../runtime/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { ensureStep } from '../shared/ensure-step.ts';
import { observeReplicas } from '../shared/replicas.ts';
import type { ReplicaStatusFields } from '../shared/replicas.ts';
import type { WorkloadPersistent } from '../../api/types.ts';
import type { KindDriver } from '../shared/workload-reconciler.ts';
import { desiredHeadlessService, desiredStatefulSet } from './desired.ts';

/** The persistent kind's steps and observation. */
export function persistentDriver(
  statefulSets: ObjectCache<V1StatefulSet>,
  services: ObjectCache<V1Service>,
  writer: ChildWriter,
): KindDriver<WorkloadPersistent, ReplicaStatusFields> {
  return {
    kind: 'WorkloadPersistent',
    steps: (cr, guard) => [
      ensureStep(writer, services, desiredHeadlessService(cr, guard.epoch), guard),
      ensureStep(writer, statefulSets, desiredStatefulSet(cr, guard.epoch), guard),
    ],
    observe: (cr) =>
      observeReplicas(
        statefulSets.get(`${cr.metadata.namespace}/${cr.metadata.name}`),
        cr.spec.replicas,
        'StatefulSet',
      ),
  };
}
