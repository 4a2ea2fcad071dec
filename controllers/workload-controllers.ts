// The four kinds' controllers: for each, the kind's driver behind the shared reconcile story, a
// queue fed by the kind's CRs (spec, labels or deletion changed; this tenant's only) and by its
// children (a child's change enqueues its owner), and leader-gated workers.
import type { KubernetesObject, V1Pod } from '@kubernetes/client-node';
import type { KubeClient } from '../runtime/kube-client.ts';
import type { Registry } from 'prom-client';
import { API_VERSION, inTenant } from '../api/labels.ts';
import { KINDS } from '../api/types.ts';
import type { Workload, WorkloadKind } from '../api/types.ts';
import { Controller } from '../runtime/controller.ts';
import {
  anyOf,
  deletionChanged,
  enqueueObject,
  enqueueByKey,
  enqueueOwner,
  generationChanged,
  labelsChanged,
} from '../runtime/handlers.ts';
import type { Log } from '../runtime/logger.ts';
import { reconcileMetrics, workqueueMetrics } from '../runtime/metrics.ts';
import type { ReconcileObserver, ReconcileOutcome } from '../runtime/metrics.ts';
import { keyOf } from '../runtime/types.ts';
import type { GroupMember } from '../runtime/informer-group.ts';
import { CacheIndex } from '../runtime/index.ts';
import { WorkQueue } from '../runtime/workqueue.ts';
import { podWorkloadKey } from './shared/singleton-release.ts';
import type { WorkloadCaches } from './caches.ts';
import { cronJobDriver } from './cronjob/driver.ts';
import { persistentDriver } from './persistent/driver.ts';
import { processDriver } from './process/driver.ts';
import { serviceDriver } from './service/driver.ts';
import { childWriter } from './shared/apply.ts';
import type { EventRecorder } from './shared/events.ts';
import { statusWriter } from './shared/status-writer.ts';
import type { KindDriver } from './shared/workload-reconciler.ts';
import { workloadReconciler } from './shared/workload-reconciler.ts';

/** Settings of the workload controllers. */
export interface WorkloadControllerOptions {
  /** The API server the controllers write to. */
  client: KubeClient;
  caches: WorkloadCaches;
  tenant: string;
  /** This replica's lock identity, written into every status. */
  identity: string;
  /** Records each transition (an Event on the CR, plus whatever the caller adds). */
  record: EventRecorder;
  log: Log;
  registry: Registry;
  /** Workers per kind (default 8). */
  workers?: number;
  /** Told how every pass ended (errors, and retries that later succeed, are counted from it). */
  onReconciled?: (kind: WorkloadKind, pass: PassOutcome) => void;
}

/** How one reconcile pass of a key ended. */
export interface PassOutcome {
  key: string;
  outcome: ReconcileOutcome;
  /** A TerminalError: not retried until the object changes. */
  terminal: boolean;
  /** Cut short because leadership ended: not retried by this leader. */
  aborted: boolean;
}

/** The kind's driver over its children's caches. */
function driverFor(
  kind: WorkloadKind,
  c: WorkloadCaches,
  pods: CacheIndex<V1Pod>,
  writer: ReturnType<typeof childWriter>,
): KindDriver<Workload, object> {
  const drivers = {
    WorkloadProcess: () => processDriver(c.pods, writer),
    WorkloadCronJob: () => cronJobDriver(c.cronJobs, pods, writer),
    WorkloadService: () => serviceDriver(c.deployments, c.services, pods, writer),
    WorkloadPersistent: () => persistentDriver(c.statefulSets, c.services, writer),
  };
  return drivers[kind]();
}

/** One controller per kind, watching its CRs and its children. */
export function createWorkloadControllers(o: WorkloadControllerOptions): Controller[] {
  const writer = childWriter(o.client);
  const status = statusWriter(o.client);
  const ours = inTenant(o.tenant);
  const { pods, services, deployments, statefulSets, cronJobs } = o.caches;
  const children = [pods, services, deployments, statefulSets, cronJobs] as GroupMember<KubernetesObject>[];
  // The pods of each workload, whoever made them (its ReplicaSet, its Jobs): held pods are released from here.
  const podsByWorkload = new CacheIndex(pods, podWorkloadKey);
  return KINDS.map((kind) => {
    const crs = o.caches.crs[kind];
    const reconciler = workloadReconciler(driverFor(kind, o.caches, podsByWorkload, writer), {
      crs,
      writer,
      status,
      tenant: o.tenant,
      leader: o.identity,
      record: o.record,
    });
    const controller = new Controller({
      name: kind,
      queue: new WorkQueue({ observer: workqueueMetrics(o.registry, kind) }),
      reconciler,
      workers: o.workers ?? 8,
      // Takeover resync: a new leader looks at every CR of its tenant once.
      resync: () => crs.list().filter(ours).map(keyOf),
      log: o.log,
      observer: withOutcomeHook(reconcileMetrics(o.registry, kind), (pass) => o.onReconciled?.(kind, pass)),
    });
    // Our own status writes come back as updates too: only spec, label and deletion changes count.
    controller.watch(crs, enqueueObject(ours, anyOf(generationChanged, labelsChanged, deletionChanged)));
    for (const cache of children) controller.watch(cache, enqueueOwner(API_VERSION, kind));
    // A pod's change enqueues the workload it belongs to (a Deployment's pod is owned by its
    // ReplicaSet, a Job's by its Job): a pod deleted or finished may let a held one start.
    if (kind === 'WorkloadService' || kind === 'WorkloadCronJob') {
      controller.watch(
        pods,
        enqueueByKey(
          (pod) => podWorkloadKey(pod),
          (key) => crs.get(key) !== undefined,
        ),
      );
    }
    return controller;
  });
}

/** The reconcile observer, also calling `onPass` with the outcome of each pass of a key. */
function withOutcomeHook(obs: ReconcileObserver, onPass: (pass: PassOutcome) => void): ReconcileObserver {
  return {
    workerStarted: () => obs.workerStarted(),
    workerStopped: () => obs.workerStopped(),
    reconciled: (info) => {
      obs.reconciled(info);
      if (info.key === undefined) return;
      onPass({
        key: info.key,
        outcome: info.outcome,
        terminal: info.terminal ?? false,
        aborted: info.aborted ?? false,
      });
    },
  };
}
