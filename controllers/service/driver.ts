// WorkloadService: a Deployment (Recreate) and, when it has ports, a Service; the Deployment's
// pods start held, and are released one at a time so that no more than `replicas` ever run.
import type { V1Deployment, V1Pod, V1Service } from '@kubernetes/client-node';
import type { CacheIndex } from '../../runtime/index.ts';
import { keyOf } from '../../runtime/types.ts';
import { releaseStep } from '../shared/singleton-release.ts';
import type { ObjectCache } from '../../runtime/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { ensureStep } from '../shared/ensure-step.ts';
import { observeReplicas } from '../shared/replicas.ts';
import type { ReplicaStatusFields } from '../shared/replicas.ts';
import { together } from '../shared/workload-reconciler.ts';
import type { WorkloadService } from '../../api/types.ts';
import type { KindDriver } from '../shared/workload-reconciler.ts';
import { desiredDeployment, desiredService } from './desired.ts';

/** The service kind's steps and observation. */
export function serviceDriver(
  deployments: ObjectCache<V1Deployment>,
  services: ObjectCache<V1Service>,
  pods: CacheIndex<V1Pod>,
  writer: ChildWriter,
): KindDriver<WorkloadService, ReplicaStatusFields> {
  return {
    kind: 'WorkloadService',
    steps: (cr, guard) => {
      const svc = desiredService(cr, guard.epoch);
      // The Deployment and its Service do not wait for each other: both are written at once
      // (a Service is the slower write: it allocates a cluster IP).
      const deployment = ensureStep(writer, deployments, desiredDeployment(cr, guard.epoch), guard);
      const release = releaseStep(writer, pods, keyOf(cr), cr.spec.replicas, guard);
      return [svc ? together(deployment, ensureStep(writer, services, svc, guard)) : deployment, release];
    },
    observe: (cr) =>
      observeReplicas(deployments.get(`${cr.metadata.namespace}/${cr.metadata.name}`), cr.spec.replicas, 'Deployment'),
  };
}
