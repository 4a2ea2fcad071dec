// Wires the controllers: informers for the four kinds and their children run on every
// replica (warm caches for a takeover); queues and workers run only while leading.
import type {
  KubeConfig,
  KubernetesObject,
  V1CronJob,
  V1Deployment,
  V1Pod,
  V1Service,
  V1StatefulSet,
} from '@kubernetes/client-node';
import { setMaxListeners } from 'node:events';
import type { Registry } from 'prom-client';
import { cronJobDriver } from './cronjob/driver.ts';
import { persistentDriver } from './persistent/driver.ts';
import { processDriver } from './process/driver.ts';
import { serviceDriver } from './service/driver.ts';
import { KINDS, WORKLOAD_KINDS } from '../api/types.ts';
import type { Workload, WorkloadKind } from '../api/types.ts';
import { childWriter } from './shared/apply.ts';
import { eventRecorder } from './shared/events.ts';
import { API_VERSION, MANAGED_BY, SOURCE_LABEL, tenantOf } from '../api/labels.ts';
import { statusWriter } from './shared/status-writer.ts';
import type { KindDriver, WorkloadDeps } from './shared/workload-reconciler.ts';
import { workloadReconciler } from './shared/workload-reconciler.ts';
import type { HighlanderConfig } from '../config/config.ts';
import { syncConfigWorkloads } from './config-file/config-workloads.ts';
import type { Logger } from '../runtime/logger.ts';
import { Informer } from '../runtime/informer.ts';
import { InformerGroup } from '../runtime/informer-group.ts';
import type { GroupMember } from '../runtime/informer-group.ts';
import { reconcileMetrics, workqueueMetrics } from '../runtime/metrics.ts';
import type { ReconcileObserver } from '../runtime/metrics.ts';
import { rawLister } from '../runtime/raw-list.ts';
import { keyOf } from '../runtime/types.ts';
import type { InformerHandlers, ObjectCache, Reconciler } from '../runtime/types.ts';
import { runWorkers } from '../runtime/workers.ts';
import { WorkQueue } from '../runtime/workqueue.ts';

/** Settings of the controllers. */
export interface ManagerOptions {
  kubeConfig: KubeConfig;
  tenant: string;
  /** This replica's lock identity, written into every status. */
  identity: string;
  log: Logger;
  registry: Registry;
  /** Workers per kind (reconciles wait on the API server, not the CPU; default 8). */
  workers?: number;
  /** Config-file workloads, applied as CRs by the leader. */
  config?: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>;
  /** Watch only these namespaces (namespaced RBAC); empty or absent: all namespaces. */
  watchNamespaces?: readonly string[];
  /** Told of every transition the controllers record as an Event (created, repaired, stalled…). */
  onRecord?: (
    cr: { kind: string; metadata: { name: string; namespace: string } },
    type: 'Normal' | 'Warning',
    reason: string,
    message: string,
  ) => void;
  /** Told of every failed reconcile pass (not those cut short by the end of leadership). */
  onReconcileError?: (kind: WorkloadKind, key: string, terminal: boolean) => void;
}

/** The running controllers. */
export interface ControllerManager {
  /** Starts the informers (every replica). */
  start(): void;
  /** True once every informer has its first list. */
  synced(): boolean;
  /** The leader's work: reconcile until `signal` aborts. */
  lead(signal: AbortSignal, epoch: number): Promise<void>;
  /** The CR caches, by kind (for the HTTP API). */
  workloads: Record<WorkloadKind, ObjectCache<Workload>>;
  /** The managed pods (every kind's), from the informer cache (for the HTTP API). */
  pods: ObjectCache<V1Pod>;
  /** Subscribes to CR changes of every kind (every replica; for live views). */
  watchWorkloads(handlers: InformerHandlers<Workload>): () => void;
  stop(): Promise<void>;
}

const CHILD_SELECTOR = `${MANAGED_BY}=highlander`;

/** managedFields are most of an applied object's size, and nothing here reads them. */
function withoutManagedFields<T extends KubernetesObject>(obj: T): T {
  if (obj.metadata?.managedFields) delete obj.metadata.managedFields;
  return obj;
}

/** Builds the controllers of the four kinds. */
export function createControllerManager(o: ManagerOptions): ControllerManager {
  const kc = o.kubeConfig;
  const informerLog = o.log.child({ component: 'informer' });
  const one = <T extends KubernetesObject>(name: string, path: string, labelSelector?: string): Informer<T> =>
    new Informer<T>({
      kubeConfig: kc,
      path,
      list: rawLister<T>(kc, path),
      name,
      log: informerLog,
      transform: withoutManagedFields,
      ...(labelSelector ? { labelSelector } : {}),
    });
  // `prefix` is "/api/v1" or "/apis/<group>/<version>": the collection is watched cluster-wide,
  // or in each watched namespace (the API server refuses a cluster-wide watch to a namespaced Role).
  const watched = o.watchNamespaces ?? [];
  const informer = <T extends KubernetesObject>(
    name: string,
    prefix: string,
    resource: string,
    labelSelector?: string,
  ): GroupMember<T> =>
    watched.length === 0
      ? one<T>(name, `${prefix}/${resource}`, labelSelector)
      : new InformerGroup<T>(
          name,
          watched.map((ns) => one<T>(`${name}@${ns}`, `${prefix}/namespaces/${ns}/${resource}`, labelSelector)),
        );

  const crs = Object.fromEntries(
    KINDS.map((k) => [k, informer<Workload>(k, `/apis/${API_VERSION}`, WORKLOAD_KINDS[k].plural)]),
  ) as Record<WorkloadKind, GroupMember<Workload>>;
  const pods = informer<V1Pod>('pods', '/api/v1', 'pods', CHILD_SELECTOR);
  const services = informer<V1Service>('services', '/api/v1', 'services', CHILD_SELECTOR);
  const deployments = informer<V1Deployment>('deployments', '/apis/apps/v1', 'deployments', CHILD_SELECTOR);
  const statefulSets = informer<V1StatefulSet>('statefulsets', '/apis/apps/v1', 'statefulsets', CHILD_SELECTOR);
  const cronJobs = informer<V1CronJob>('cronjobs', '/apis/batch/v1', 'cronjobs', CHILD_SELECTOR);
  const children = [pods, services, deployments, statefulSets, cronJobs] as unknown as GroupMember<KubernetesObject>[];

  const writer = childWriter(kc);
  const drivers: Record<WorkloadKind, KindDriver<Workload, object>> = {
    WorkloadProcess: processDriver(pods, writer),
    WorkloadCronJob: cronJobDriver(cronJobs, writer),
    WorkloadService: serviceDriver(deployments, services, writer),
    WorkloadPersistent: persistentDriver(statefulSets, services, writer),
  };
  const status = statusWriter(kc);
  const recordEvent = eventRecorder(kc, o.identity, (err) =>
    o.log.warn({ err: String(err) }, 'could not record an event'),
  );
  const record: typeof recordEvent = (cr, type, reason, message) => {
    recordEvent(cr, type, reason, message);
    o.onRecord?.(cr, type, reason, message);
  };
  const queues = {} as Record<WorkloadKind, WorkQueue>;
  const reconcilers = {} as Record<WorkloadKind, Reconciler>;
  for (const kind of KINDS) {
    queues[kind] = new WorkQueue({ observer: workqueueMetrics(o.registry, kind) });
    const deps: WorkloadDeps<Workload> = {
      crs: crs[kind],
      writer,
      status,
      tenant: o.tenant,
      leader: o.identity,
      record,
    };
    reconcilers[kind] = workloadReconciler(drivers[kind], deps);
  }

  // Only the leader queues work: a follower's caches stay warm, and a new leader looks at
  // every CR once anyway (takeover resync), so nothing a follower saw is lost.
  let leading = false;
  const ours = (cr: Readonly<Workload>): boolean => tenantOf(cr.metadata.labels) === o.tenant;
  // A CR's change enqueues it when its spec, labels or deletion changed: our own status
  // writes come back as updates too, and must not loop.
  for (const kind of KINDS) {
    crs[kind].on({
      add: (cr) => {
        if (leading && ours(cr)) queues[kind].add(keyOf(cr));
      },
      update: (prev, cr) => {
        const changed =
          prev.metadata.generation !== cr.metadata.generation ||
          JSON.stringify(prev.metadata.labels) !== JSON.stringify(cr.metadata.labels) ||
          !!cr.metadata.deletionTimestamp !== !!prev.metadata.deletionTimestamp;
        if (leading && changed && (ours(cr) || ours(prev))) queues[kind].add(keyOf(cr));
      },
    });
  }
  // A child's change enqueues its owner: drift is repaired from the watch, not a poll.
  const enqueueOwner = (obj: Readonly<KubernetesObject>): void => {
    if (!leading) return;
    const ref = obj.metadata?.ownerReferences?.find((r) => r.controller && r.apiVersion === API_VERSION);
    if (ref && ref.kind in queues) queues[ref.kind as WorkloadKind].add(`${obj.metadata?.namespace}/${ref.name}`);
  };
  for (const inf of children) inf.on({ add: enqueueOwner, update: (_p, n) => enqueueOwner(n), delete: enqueueOwner });

  // Config-file workloads: applied when leadership starts, and again if one is deleted.
  let syncing: Promise<void> | undefined;
  const syncConfig = (): Promise<void> => {
    const cfg = o.config;
    if (!cfg || syncing) return syncing ?? Promise.resolve();
    syncing = syncConfigWorkloads(kc, cfg, crs)
      .then((problems) => {
        for (const p of problems) o.log.error({ problem: p }, 'config-file workload refused');
      })
      .catch((err: unknown) => o.log.error({ err: String(err) }, 'config-file workloads could not be applied'))
      .finally(() => (syncing = undefined));
    return syncing;
  };
  for (const kind of KINDS) {
    crs[kind].on({
      delete: (cr) => {
        if (leading && cr.metadata.labels?.[SOURCE_LABEL] === 'config' && ours(cr)) void syncConfig();
      },
    });
  }

  const all = [...Object.values(crs), ...children];
  return {
    workloads: crs,
    pods,
    watchWorkloads: (handlers) => {
      const offs = Object.values(crs).map((c) => c.on(handlers));
      return () => offs.forEach((off) => off());
    },
    start: () => all.forEach((i) => i.start()),
    synced: () => all.every((i) => i.hasSynced()),
    async lead(signal, epoch) {
      // Every informer's sync wait and every worker listen on this one signal at once: the
      // default limit of 10 would warn of a leak that is not one.
      setMaxListeners(all.length + (o.workers ?? 8) * Object.keys(queues).length + 16, signal);
      await Promise.all(all.map((i) => i.waitForSync(signal)));
      if (signal.aborted) return;
      leading = true;
      signal.addEventListener('abort', () => (leading = false), { once: true });
      // Takeover resync: every cached CR of ours is looked at once by the new leader.
      for (const kind of KINDS) {
        for (const cr of crs[kind].list()) if (ours(cr)) queues[kind].add(keyOf(cr));
      }
      await syncConfig();
      await Promise.all(
        KINDS.map((kind) =>
          runWorkers({
            queue: queues[kind],
            reconciler: reconcilers[kind],
            workers: o.workers ?? 8,
            epoch,
            signal,
            log: o.log,
            observer: withErrorHook(reconcileMetrics(o.registry, kind), (key, terminal) =>
              o.onReconcileError?.(kind, key, terminal),
            ),
          }),
        ),
      );
    },
    async stop() {
      for (const q of Object.values(queues)) q.shutDown();
      await Promise.all(all.map((i) => i.stop()));
    },
  };
}

/** The reconcile observer, also calling `onError` for each failed pass that leadership did not cut short. */
function withErrorHook(obs: ReconcileObserver, onError: (key: string, terminal: boolean) => void): ReconcileObserver {
  return {
    workerStarted: () => obs.workerStarted(),
    workerStopped: () => obs.workerStopped(),
    reconciled: (info) => {
      obs.reconciled(info);
      if (info.outcome === 'error' && !info.aborted && info.key !== undefined)
        onError(info.key, info.terminal ?? false);
    },
  };
}
