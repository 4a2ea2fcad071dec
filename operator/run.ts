// `highlander run`: wires config, lock store, leader gate, metrics and HTTP together.
import { randomBytes } from 'node:crypto';
import type { Server } from 'node:http';
import type { HighlanderConfig } from './config.ts';
import { redactConfig } from './config.ts';
import { createControllerManager } from './controller-manager.ts';
import { createApp, listen } from './http-server.ts';
import { loadKubeConfig } from './kubeconfig.ts';
import type { GateObserver } from './leader-gate.ts';
import { LeaderGate } from './leader-gate.ts';
import { createLockStore } from './lock-store-factory.ts';
import type { Logger } from './logger.ts';
import { OperatorMetrics, instrumentStore } from './metrics.ts';
import { StatusTracker } from './status-tracker.ts';
import { StoreHealth } from './store-health.ts';
import { byName, findWorkload, listWorkloads } from './workload-summary.ts';

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
export async function runOperator(cfg: HighlanderConfig, log: Logger, opts: { kubeconfig?: string } = {}): Promise<RunningOperator> {
  log.info({ config: redactConfig(cfg) }, 'starting');
  const kc = loadKubeConfig(opts.kubeconfig ?? cfg.cluster.kubeconfig);
  const metrics = new OperatorMetrics();
  const health = new StoreHealth();
  const store = health.watch(instrumentStore(await createLockStore(cfg, { kubeConfig: () => kc }), metrics));
  const identity = holderIdentity(cfg.id);
  const manager = createControllerManager({ kubeConfig: kc, tenant: cfg.tenant, identity, log, registry: metrics.registry, config: cfg, watchNamespaces: cfg.watchNamespaces });
  manager.start();
  const tracker = new StatusTracker(identity);

  const gate = new LeaderGate({
    store,
    identity,
    timings: cfg.leaderElection,
    observer: combine(metrics.gateObserver(), logObserver(log), tracker.observer()),
    callbacks: {
      onStartedLeading: ({ signal, epoch }) => manager.lead(signal, epoch),
      // The observer logs it ("leadership ended"); the manager's work has its signal.
      onStoppedLeading: () => undefined,
      onNewLeader: ({ holder, epoch }) => {
        tracker.newLeader(holder, epoch);
        if (holder !== identity) log.info({ leader: holder, epoch }, holder ? 'new leader observed' : 'lock is free');
      },
    },
  });

  const workloads = {
    all: () => byName(listWorkloads(manager.workloads)),
    find: (name: string, namespace?: string) => findWorkload(listWorkloads(manager.workloads), name, namespace),
  };
  const dbinfo = () => ({
    storageType: store.backend,
    lockName: store.lockName,
    tenant: cfg.tenant,
    reachable: health.reachable,
    ...(health.reachable ? {} : { lastError: health.lastError }),
    ...(cfg.redis ? { address: cfg.redis.addr } : {}),
    ...(cfg.databaseURL ? { address: redactConfig(cfg).databaseURL } : {}),
    ...(cfg.spanner ? { address: `${cfg.spanner.projectID}/${cfg.spanner.instanceID}/${cfg.spanner.databaseID}` } : {}),
  });
  const status = () => {
    const w = workloads.all();
    return {
      ...tracker.snapshot(),
      clusterName: cfg.cluster.name,
      tenant: cfg.tenant,
      storageType: store.backend,
      workloadStatus: Object.fromEntries(Object.entries(w).map(([k, v]) => [k, { type: v.type, namespace: v.namespace, active: v.active, healthy: v.healthy, phase: v.phase }])),
    };
  };
  const app = createApp({
    metrics: metrics.registry,
    status,
    workloads,
    dbinfo,
    debug: () => ({ ...status(), config: redactConfig(cfg), cachesSynced: manager.synced(), lockStore: dbinfo() }),
    ready: () => {
      const reasons = [
        ...(health.reachable ? [] : [`lock store unreachable: ${health.lastError || 'no answer yet'}`]),
        ...(manager.synced() ? [] : ['caches not synced yet']),
      ];
      return { ready: reasons.length === 0, reasons };
    },
  });
  const { server, port } = await listen(app, cfg.httpHost, cfg.port);
  log.info({ identity, store: store.backend, lock: store.lockName, tenant: cfg.tenant, port }, 'campaigning for leadership');
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
