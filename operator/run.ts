// `highlander run`: the wiring of the layers below, read top to bottom. Every replica keeps the
// caches and serves HTTP; the lock holder alone runs the controllers (the manager starts them
// with the leadership signal and epoch, and the gate releases the lock only once they stopped).
import type { HighlanderConfig } from '../config/config.ts';
import { redactConfig } from '../config/redact.ts';
import { inTenant } from '../api/labels.ts';
import { KINDS } from '../api/types.ts';
import { createWorkloadCaches } from '../controllers/caches.ts';
import { configSync } from '../controllers/config-file/config-sync.ts';
import { eventRecorder } from '../controllers/shared/events.ts';
import { fence, fenceLabels } from '../controllers/fence.ts';
import { createWorkloadControllers } from '../controllers/workload-controllers.ts';
import { configuredId, holderIdentity } from '../election/identity.ts';
import { LeaderGate } from '../election/leader-gate.ts';
import { combineObservers } from '../election/observers.ts';
import { createLockStore } from '../election/store-factory.ts';
import { StoreHealth } from '../election/store-health.ts';
import { KubeClient } from '../runtime/kube-client.ts';
import { loadKubeConfig } from '../runtime/kubeconfig.ts';
import type { Logger } from '../runtime/logger.ts';
import { Manager } from '../runtime/manager.ts';
import { unguarded } from '../runtime/write-guard.ts';
import { EventHub, FailoverRecorder } from '../server/event-hub.ts';
import { createApp, serveHttp } from '../server/http-server.ts';
import type { HttpDeps } from '../server/http-server.ts';
import { publishWorkloads } from '../server/live-workloads.ts';
import { OperatorMetrics, instrumentStore } from '../server/metrics.ts';
import { StatusTracker } from '../server/status-tracker.ts';
import { compatViews } from './k8-views.ts';
import { hubObserver, logObserver, newLeaderSeen } from './leadership.ts';
import { workloadLifecycle } from './lifecycle.ts';
import { takeOver } from './takeover.ts';
import { operatorViews } from './views.ts';
import { countReconcileOutcomes, fanOutEvents } from './workload-events.ts';
import type { KubeAccess } from '../runtime/kube-access.ts';

/** A running operator. */
export interface RunningOperator {
  gate: LeaderGate;
  /** The bound HTTP port. */
  port: number;
  /** Stops leader work, then releases the lock, then closes the server and the store. */
  stop(): Promise<void>;
}

/** The lock store, counted in metrics and watched for /readyz; a Lease lock is its tenant's fence too. */
async function openStore(cfg: HighlanderConfig, kc: KubeAccess, metrics: OperatorMetrics) {
  const health = new StoreHealth();
  const opened = await createLockStore(cfg, { kubeConfig: () => kc, leaseLabels: fenceLabels(cfg.tenant) });
  const store = health.watch(instrumentStore(opened, metrics));
  return { store, health };
}

/** The caches, the four controllers and the config-file workloads, as parts of one manager. */
function buildManager(
  cfg: HighlanderConfig,
  kc: KubeAccess,
  client: KubeClient,
  identity: string,
  log: Logger,
  metrics: OperatorMetrics,
  hub: EventHub,
) {
  const caches = createWorkloadCaches({
    kubeConfig: kc,
    watchNamespaces: cfg.watchNamespaces,
    log: log.child({ component: 'informer' }),
  });
  const events = eventRecorder(client, identity, (err) => log.warn({ err: String(err) }, 'could not record an event'));
  const lifecycle = workloadLifecycle(caches, cfg.tenant, metrics);
  const controllers = createWorkloadControllers({
    client,
    caches,
    tenant: cfg.tenant,
    identity,
    record: fanOutEvents(events, { metrics, hub, log, lifecycle }),
    log,
    registry: metrics.registry,
    onReconciled: countReconcileOutcomes(metrics),
  });
  const manager = new Manager().add(caches.runnable);
  for (const c of controllers) manager.add(c);
  manager.add(configSync({ client, config: cfg, caches, log }));
  const live = publishWorkloads(hub, inTenant(cfg.tenant));
  for (const kind of KINDS) caches.crs[kind].on(live);
  return { caches, controllers, manager, lifecycle };
}

/** The planned-handover route, present only when a token is configured. */
function handoverRoute(cfg: HighlanderConfig, gate: LeaderGate, log: Logger): Pick<HttpDeps, 'handover'> {
  if (!cfg.handoverToken) return {};
  return {
    handover: {
      token: cfg.handoverToken,
      run: async () => {
        const epoch = await gate.handover();
        if (epoch === null) return { handedOver: false as const, leader: gate.lastSeenLeader().holder };
        log.info({ epoch }, 'planned handover: leadership handed over on request');
        return { handedOver: true as const, epoch };
      },
    },
  };
}

/** Starts the operator. */
export async function runOperator(
  cfg: HighlanderConfig,
  log: Logger,
  opts: { kubeconfig?: string; version?: string; buildInfo?: string } = {},
): Promise<RunningOperator> {
  log.info({ config: redactConfig(cfg) }, 'starting');
  const kc = await loadKubeConfig(opts.kubeconfig ?? cfg.cluster.kubeconfig);
  const metrics = new OperatorMetrics();
  const { store, health } = await openStore(cfg, kc, metrics);
  const identity = holderIdentity(cfg.id);
  const hub = new EventHub();
  const failovers = new FailoverRecorder(identity, hub);
  const tracker = new StatusTracker(identity);
  // K8 Highlander labelled its "cluster" transitions with the holders' ids.
  tracker.onLeaderChange((from, to) =>
    metrics.clusterTransitions.inc({ from_cluster: configuredId(from), to_cluster: configuredId(to) }),
  );
  const client = new KubeClient(kc);
  const { caches, controllers, manager, lifecycle } = buildManager(cfg, kc, client, identity, log, metrics, hub);
  const takeover = { client, caches, tenant: cfg.tenant, identity, storageType: cfg.storageType, log };

  // With a store other than the Lease, the fence Lease is raised as soon as the previous hold is
  // over (released, or a renew deadline without renewal), before the next grant (the Lease lock
  // is its own fence). Every replica follows it, so a successor knows when its predecessor raised it.
  const fenceLease = fence(client, { namespace: cfg.leaderElection.leaseNamespace, tenant: cfg.tenant });
  const unfollowFence = cfg.storageType === 'kubernetes' ? undefined : await fenceLease.follow(kc);
  const gate = electionGate({
    cfg,
    store,
    identity,
    fenceLease,
    log,
    metrics,
    tracker,
    hub,
    failovers,
    lifecycle,
    manager,
    takeover,
  });
  const app = httpApp({ cfg, identity, gate, tracker, health, store, caches, hub, manager, metrics, log, opts });

  const http = await serveHttp(app, cfg.httpHost, cfg.port);
  manager.add(http.runnable).start();
  const { port } = http;
  log.info(
    { identity, store: store.backend, lock: store.lockName, tenant: cfg.tenant, port },
    'campaigning for leadership',
  );
  await gate.start();

  return {
    gate,
    port,
    async stop() {
      await gate.stop();
      await unfollowFence?.();
      for (const c of controllers) c.shutDown();
      await manager.stop();
      client.close();
      await store.close();
      log.info({}, 'stopped');
    },
  };
}

/** What the gate and the HTTP surface are built from. */
type Parts = {
  cfg: HighlanderConfig;
  identity: string;
  log: Logger;
  metrics: OperatorMetrics;
  tracker: StatusTracker;
  hub: EventHub;
  manager: ReturnType<typeof buildManager>['manager'];
};

/** The leader gate: the fence raised before each grant (stores other than the Lease), the observers, the takeover. */
function electionGate(
  p: Parts & {
    store: Awaited<ReturnType<typeof openStore>>['store'];
    /** The fence Lease (stores other than the Lease). */
    fenceLease: ReturnType<typeof fence>;
    failovers: FailoverRecorder;
    lifecycle: ReturnType<typeof buildManager>['lifecycle'];
    takeover: Omit<Parameters<typeof takeOver>[1], 'fenceNamespace'>;
  },
): LeaderGate {
  const { cfg, store, identity, log, metrics, tracker, hub, failovers, lifecycle, manager, takeover, fenceLease } = p;
  return new LeaderGate({
    store,
    identity,
    timings: cfg.leaderElection,
    ...(cfg.storageType === 'kubernetes'
      ? {}
      : {
          beforeAcquire: (next: number, o: { signal: AbortSignal }) =>
            fenceLease.raise({ ...unguarded(next), signal: o.signal }, identity),
          fenceSeen: () => fenceLease.seenEpoch(),
        }),
    observer: combineObservers(
      metrics.gateObserver(),
      logObserver(log),
      tracker.observer(),
      hubObserver(identity, hub, failovers),
      lifecycle.observer(),
    ),
    callbacks: {
      onStartedLeading: (ctx) =>
        manager.lead(ctx, () => takeOver(ctx, { ...takeover, fenceNamespace: cfg.leaderElection.leaseNamespace })),
      // The observer logs it ("leadership ended"); the leader's parts have the signal.
      onStoppedLeading: () => undefined,
      onNewLeader: newLeaderSeen({ identity, tracker, failovers, hub, log }),
    },
  });
}

/** The HTTP app: our views, K8 Highlander's, the metrics they export, live events and the handover. */
function httpApp(
  p: Parts & {
    gate: LeaderGate;
    health: Awaited<ReturnType<typeof openStore>>['health'];
    store: Awaited<ReturnType<typeof openStore>>['store'];
    caches: ReturnType<typeof buildManager>['caches'];
    opts: { version?: string; buildInfo?: string };
  },
): ReturnType<typeof createApp> {
  const { cfg, identity, gate, tracker, health, store, caches, hub, manager, metrics, log, opts } = p;
  const views = operatorViews({ cfg, identity, gate, tracker, health, store, caches, hub, manager });
  metrics.exportWorkloads(() => (gate.isLeader() ? views.ourWorkloads() : null));
  metrics.exportClusterHealth(cfg.cluster.name, () => views.ready().ready);
  metrics.store.follow({
    health,
    thresholdMs: cfg.leaderElection.renewDeadlineMs,
    leaseRemainingMs: () => gate.leaseRemainingMs(),
  });
  const { version = 'unknown', buildInfo = 'unknown' } = opts;
  const compat = compatViews({
    cfg,
    gate,
    tracker,
    health,
    store,
    caches,
    manager,
    ready: views.ready,
    version,
    buildInfo,
  });
  return createApp({
    ...views,
    compat,
    metrics: metrics.registry,
    dashboard: true,
    events: { hub, heartbeat: views.lease, snapshot: views.snapshot },
    ...handoverRoute(cfg, gate, log),
  });
}
