// WorkloadService: a Deployment (Recreate) and, when it has ports, a Service.
import type { V1Deployment, V1Service } from '@kubernetes/client-node';
import type { ObjectCache } from '../../operator/reconcile/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { ensureStep } from '../shared/ensure-step.ts';
import { observeReplicas } from '../shared/replicas.ts';
import type { ReplicaStatusFields } from '../shared/replicas.ts';
import type { KindDriver, WorkloadCR } from '../shared/workload-reconciler.ts';
import { desiredDeployment, desiredService } from './desired.ts';
import type { ServiceCR } from './desired.ts';

type CR = ServiceCR & WorkloadCR;

/** The service kind's steps and observation. */
export function serviceDriver(
  deployments: ObjectCache<V1Deployment>,
  services: ObjectCache<V1Service>,
  writer: ChildWriter,
): KindDriver<CR, ReplicaStatusFields> {
  return {
    kind: 'WorkloadService',
    steps: (cr, epoch) => {
      const svc = desiredService(cr, epoch);
      // The workload first: a Service is slower to create (it allocates a cluster IP) and
      // nothing in the Deployment waits for it.
      return [
        ensureStep(writer, deployments, desiredDeployment(cr, epoch), epoch),
        ...(svc ? [ensureStep(writer, services, svc, epoch)] : []),
      ];
    },
    observe: (cr) => observeReplicas(deployments.get(`${cr.metadata.namespace}/${cr.metadata.name}`), cr.spec.replicas, 'Deployment'),
  };
}
