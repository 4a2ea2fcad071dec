// `highlander run`: wires config, lock store, leader gate, metrics and HTTP together.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { HighlanderConfig } from '../config/config.ts';
import { redactConfig, redactUrl } from '../config/config.ts';
import { createControllerManager } from '../controllers/manager.ts';
import { createApp, listen } from '../server/http-server.ts';
import { loadKubeConfig } from '../runtime/kubeconfig.ts';
import type { GateObserver } from '../election/leader-gate.ts';
import { LeaderGate } from '../election/leader-gate.ts';
import { createLockStore } from '../election/store-factory.ts';
import type { Logger } from '../runtime/logger.ts';
import { OperatorMetrics, instrumentStore } from '../server/metrics.ts';
import { StatusTracker } from '../server/status-tracker.ts';
import { StoreHealth } from '../election/store-health.ts';
import { byName, findWorkload, listWorkloads, podViews, summarize, viewOf } from '../server/workload-summary.ts';
import { WORKLOAD_KINDS, isWorkloadKind } from '../api/types.ts';
import type { Workload } from '../api/types.ts';
import { EventHub, FailoverRecorder } from '../server/event-hub.ts';
import { splitKey } from '../runtime/types.ts';
import { tenantOf } from '../api/labels.ts';

/** Event reasons as K8 Highlander's `operation` label values. */
const OPERATIONS: Record<string, string> = { Created: 'created', Repaired: 'repaired', LeaderChanged: 'adopted' };

/** A running operator. */
export interface RunningOperator {
  gate: LeaderGate;
  /** The bound HTTP port. */
  port: number;
  /** Stops leader work, then releases the lock, then closes the server and the store. */
  stop(): Promise<void>;
}

/**
 * The lock holder's identity: the configured id plus a random suffix, so two replicas given
 * the same id (one ConfigMap for all) can never both believe they hold the lock.
 */
export function holderIdentity(id: string): string {
  return `${id}_${randomBytes(4).toString('hex')}`;
}

/** Starts the operator. */
export async function runOperator(
  cfg: HighlanderConfig,
  log: Logger,
  opts: { kubeconfig?: string } = {},
): Promise<RunningOperator> {
  log.info({ config: redactConfig(cfg) }, 'starting');
  const kc = loadKubeConfig(opts.kubeconfig ?? cfg.cluster.kubeconfig);
  const metrics = new OperatorMetrics();
  const health = new StoreHealth();
  const store = health.watch(instrumentStore(await createLockStore(cfg, { kubeConfig: () => kc }), metrics));
  const identity = holderIdentity(cfg.id);
  // An operator shows its own tenant's workloads: other tenants' operators show theirs.
  const ours = (cr: Readonly<Workload>): boolean => tenantOf(cr.metadata.labels) === cfg.tenant;
  const ourWorkloads = () => listWorkloads(manager.workloads, ours);
  const hub = new EventHub();
  const failovers = new FailoverRecorder(identity, hub);
  const at = (): string => new Date().toISOString();
  const manager = createControllerManager({
    kubeConfig: kc,
    tenant: cfg.tenant,
    identity,
    log,
    registry: metrics.registry,
    config: cfg,
    watchNamespaces: cfg.watchNamespaces,
    onRecord: (cr, level, reason, message) => {
      const type = isWorkloadKind(cr.kind) ? WORKLOAD_KINDS[cr.kind].type : cr.kind;
      if (level === 'Normal')
        metrics.workloadOperations.inc({
          type,
          name: cr.metadata.name,
          operation: OPERATIONS[reason] ?? reason.toLowerCase(),
        });
      else metrics.workloadErrors.inc({ type, name: cr.metadata.name, error_type: reason.toLowerCase() });
      hub.publish({
        type: 'event',
        at: at(),
        kind: cr.kind,
        namespace: cr.metadata.namespace,
        name: cr.metadata.name,
        level,
        reason,
        message,
      });
      // One line per change made or refused; adoption after a takeover is one line per CR, so debug.
      const fields = {
        kind: cr.kind,
        namespace: cr.metadata.namespace,
        name: cr.metadata.name,
        reason,
        detail: message,
      };
      if (level === 'Warning') log.warn(fields, 'workload stalled');
      else if (reason === 'LeaderChanged') log.debug(fields, 'workload adopted');
      else log.info(fields, reason === 'Repaired' ? 'workload repaired' : 'workload changed');
    },
    onReconcileError: (kind, key, terminal) => {
      metrics.workloadErrors.inc({
        type: WORKLOAD_KINDS[kind].type,
        name: splitKey(key).name,
        error_type: terminal ? 'terminal' : 'reconcile',
      });
    },
  });
  const views = new Map<string, string>();
  manager.watchWorkloads({
    add: (cr) => publishWorkload('added', cr),
    update: (_prev, cr) => publishWorkload('updated', cr),
    delete: (cr) => publishWorkload('deleted', cr),
  });
  function publishWorkload(change: 'added' | 'updated' | 'deleted', cr: Readonly<Workload>): void {
    const kind = cr.kind;
    if (!isWorkloadKind(kind)) return;
    const key = `${kind}/${cr.metadata.namespace}/${cr.metadata.name}`;
    if (!ours(cr)) {
      if (change === 'updated' && views.has(key))
        change = 'deleted'; // relabelled away
      else return;
    }
    const workload = viewOf(summarize(kind, cr));
    const text = JSON.stringify(workload);
    if (change === 'deleted') views.delete(key);
    else if (views.get(key) === text)
      return; // our own status writes and resyncs: nothing to show
    else views.set(key, text);
    hub.publish({ type: 'workload', at: at(), change, workload });
  }
  manager.start();
  const tracker = new StatusTracker(identity);

  const gate = new LeaderGate({
    store,
    identity,
    timings: cfg.leaderElection,
    observer: combine(metrics.gateObserver(), logObserver(log), tracker.observer(), {
      acquired: ({ epoch, previousHolder, failoverMs }) => {
        hub.publish({ type: 'leadership', at: at(), change: 'acquired', leader: identity, epoch });
        failovers.acquired(epoch, previousHolder, failoverMs);
      },
      stopped: ({ epoch, reason }) => {
        failovers.stopped();
        hub.publish({ type: 'leadership', at: at(), change: 'stopped', leader: null, epoch, reason });
      },
      released: ({ epoch, ok }) => {
        if (ok) hub.publish({ type: 'leadership', at: at(), change: 'released', leader: null, epoch });
      },
    }),
    callbacks: {
      onStartedLeading: ({ signal, epoch }) => manager.lead(signal, epoch),
      // The observer logs it ("leadership ended"); the manager's work has its signal.
      onStoppedLeading: () => undefined,
      onNewLeader: ({ holder, epoch }) => {
        tracker.newLeader(holder, epoch);
        failovers.holderSeen(holder, epoch);
        if (holder !== identity) {
          log.info({ leader: holder, epoch }, holder ? 'new leader observed' : 'lock is free');
          hub.publish({ type: 'leadership', at: at(), change: holder ? 'observed' : 'free', leader: holder, epoch });
        }
      },
    },
  });

  const workloads = {
    all: () => byName(ourWorkloads()),
    find: (name: string, namespace?: string) => findWorkload(ourWorkloads(), name, namespace),
  };
  const dbinfo = () => ({
    storageType: store.backend,
    lockName: store.lockName,
    tenant: cfg.tenant,
    reachable: health.reachable,
    ...(health.reachable ? {} : { lastError: health.lastError }),
    ...(cfg.redis ? { address: cfg.redis.addr } : {}),
    ...(cfg.databaseURL ? { address: redactUrl(cfg.databaseURL) } : {}),
    ...(cfg.spanner ? { address: `${cfg.spanner.projectID}/${cfg.spanner.instanceID}/${cfg.spanner.databaseID}` } : {}),
  });
  const lease = () => {
    const { currentLeader, epoch, uptime } = tracker.snapshot();
    return {
      isLeader: gate.isLeader(),
      currentLeader,
      epoch,
      leaseRemainingMs: gate.leaseRemainingMs(),
      leaseDurationMs: cfg.leaderElection.leaseDurationMs,
      storeReachable: health.reachable,
      uptime,
      serverTime: at(),
    };
  };
  const status = () => {
    const w = workloads.all();
    return {
      ...tracker.snapshot(),
      ...lease(),
      clusterName: cfg.cluster.name,
      tenant: cfg.tenant,
      storageType: store.backend,
      workloadStatus: Object.fromEntries(
        Object.entries(w).map(([k, v]) => [
          k,
          { type: v.type, namespace: v.namespace, active: v.active, healthy: v.healthy, phase: v.phase },
        ]),
      ),
    };
  };
  const ready = () => {
    const reasons = [
      ...(health.reachable ? [] : [`lock store unreachable: ${health.lastError || 'no answer yet'}`]),
      ...(manager.synced() ? [] : ['caches not synced yet']),
    ];
    return { ready: reasons.length === 0, reasons };
  };
  metrics.exportWorkloads(() => (gate.isLeader() ? ourWorkloads() : null));
  metrics.exportClusterHealth(cfg.cluster.name, () => ready().ready);
  const app = createApp({
    metrics: metrics.registry,
    dashboard: true,
    failovers: () => hub.failovers(),
    pods: () =>
      podViews(
        manager.pods.list(),
        new Map(ourWorkloads().map((w) => [`${w.namespace}/${w.name}`, w.leader])),
        cfg.cluster.name,
        Date.now(),
      ),
    events: {
      hub,
      heartbeat: lease,
      snapshot: () => ({
        identity,
        status: status(),
        ready: ready(),
        lockStore: dbinfo(),
        workloads: ourWorkloads().map(viewOf),
        failovers: hub.failovers(),
        recent: hub.recent(),
      }),
    },
    ...(cfg.handoverToken
      ? {
          handover: {
            token: cfg.handoverToken,
            run: async () => {
              const epoch = await gate.handover();
              if (epoch === null) return { handedOver: false as const, leader: gate.lastSeenLeader().holder };
              log.info({ epoch }, 'planned handover: leadership handed over on request');
              return { handedOver: true as const, epoch };
            },
          },
        }
      : {}),
    status,
    workloads,
    dbinfo,
    debug: () => ({ ...status(), config: redactConfig(cfg), cachesSynced: manager.synced(), lockStore: dbinfo() }),
    ready,
  });
  const { server, port } = await listen(app, cfg.httpHost, cfg.port);
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
      await manager.stop();
      await closeServer(server);
      await store.close();
      log.info('stopped');
    },
  };
}

function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

function logObserver(log: Logger): GateObserver {
  return {
    acquired: ({ epoch, previousHolder, failoverMs }) =>
      log.info({ epoch, previousLeader: previousHolder, failoverMs, leaderAt: Date.now() }, 'became leader'),
    stopped: ({ epoch, reason, heldMs }) => log.info({ epoch, reason, heldMs }, 'leadership ended'),
    attemptFailed: (err) => log.warn({ err: String(err) }, 'lock store call failed while campaigning'),
    renewed: ({ epoch, latencyMs }) => log.debug({ epoch, latencyMs, renewSentAt: Date.now() - latencyMs }, 'renewed'),
    renewFailed: (err) => log.warn({ err: String(err) }, 'renewal failed; retrying until the renew deadline'),
    released: ({ epoch, ok }) => log.info({ epoch, released: ok, releasedAt: Date.now() }, 'lock released'),
    workFailed: (err) => log.error({ err: String(err) }, 'leader work failed'),
  };
}

/** Calls every observer's hook in turn. */
function combine(...observers: GateObserver[]): GateObserver {
  const hook =
    <K extends keyof GateObserver>(k: K) =>
    (arg: Parameters<NonNullable<GateObserver[K]>>[0]): void => {
      for (const o of observers) (o[k] as ((a: typeof arg) => void) | undefined)?.(arg);
    };
  return {
    acquired: hook('acquired'),
    stopped: hook('stopped'),
    attemptFailed: hook('attemptFailed'),
    renewed: hook('renewed'),
    renewFailed: hook('renewFailed'),
    released: hook('released'),
    workFailed: hook('workFailed'),
  };
}
