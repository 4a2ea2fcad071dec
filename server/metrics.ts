// Prometheus metrics with K8 Highlander's names, so existing dashboards and alerts keep working.
// Each is fed from one place: the gate observer, the instrumented lock store and its health, the
// workload events and reconcile outcomes, or (for gauges) a source read at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { WorkloadType } from '../api/types.ts';
import type { LockStore } from '../locks/lock-store.ts';
import { LockStoreError } from '../locks/lock-store.ts';
import { aroundStore } from '../election/around-store.ts';
import type { GateObserver } from '../election/leader-gate.ts';
import { P } from './metric-prefix.ts';
import { registerProcessMetrics } from './process-metrics.ts';
import { StoreMetrics } from './store-metrics.ts';

/** What the workload gauges need of one workload. */
export interface WorkloadMetricSource {
  type: string;
  name: string;
  namespace: string;
  active: boolean;
  healthy: boolean;
}
const SECONDS_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 15, 20, 30, 60];
const LATENCY_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
/** K8 Highlander's start-up and shut-down buckets: 0.1 s doubling to 51.2 s. */
const LIFECYCLE_BUCKETS = Array.from({ length: 10 }, (_, i) => 0.1 * 2 ** i);

/** The operator's metrics, registered in their own registry. */
export class OperatorMetrics {
  readonly registry = new Registry();
  readonly isLeader = new Gauge({
    name: `${P}is_leader`,
    help: 'Whether this instance is the leader (1) or not (0)',
    registers: [this.registry],
  });
  readonly transitions = new Counter({
    name: `${P}leadership_transitions_total`,
    help: 'Leadership changes of this instance (acquisitions plus losses)',
    registers: [this.registry],
  });
  readonly acquisitions = new Counter({
    name: `${P}leadership_acquisitions_total`,
    help: 'Times this instance became leader',
    registers: [this.registry],
  });
  readonly losses = new Counter({
    name: `${P}leadership_losses_total`,
    help: 'Times this instance stopped being leader, for any reason',
    labelNames: ['reason'],
    registers: [this.registry],
  });
  readonly failedAttempts = new Counter({
    name: `${P}leadership_failed_attempts_total`,
    help: 'Acquisition attempts that failed with a lock-store error (not those refused because another instance leads)',
    registers: [this.registry],
  });
  readonly leadershipDuration = new Histogram({
    name: `${P}leadership_duration_seconds`,
    help: 'Duration of leadership periods of this instance',
    buckets: [1, 10, 60, 300, 1800, 3600, 21_600, 86_400],
    registers: [this.registry],
  });
  readonly lastTransition = new Gauge({
    name: `${P}last_leader_transition_timestamp_seconds`,
    help: 'Unix time of the last leadership change of this instance',
    registers: [this.registry],
  });
  readonly failovers = new Counter({
    name: `${P}failover_total`,
    help: 'Times this instance took over from another leader',
    registers: [this.registry],
  });
  readonly failoverDuration = new Histogram({
    name: `${P}failover_duration_seconds`,
    help: 'From the moment the previous leader’s lock was free (released or expired) until this instance held it',
    buckets: SECONDS_BUCKETS,
    registers: [this.registry],
  });
  readonly failoverErrors = new Counter({
    name: `${P}failover_errors_total`,
    help: 'Leader work that failed to start or stop cleanly',
    registers: [this.registry],
  });
  readonly dbOperations = new Counter({
    name: `${P}db_operations_total`,
    help: 'Lock-store operations',
    labelNames: ['operation'],
    registers: [this.registry],
  });
  readonly dbErrors = new Counter({
    name: `${P}db_errors_total`,
    help: 'Lock-store operations that failed',
    labelNames: ['operation', 'error_type'],
    registers: [this.registry],
  });
  readonly dbLatency = new Histogram({
    name: `${P}db_latency_seconds`,
    help: 'Latency of lock-store operations',
    labelNames: ['operation'],
    buckets: LATENCY_BUCKETS,
    registers: [this.registry],
  });

  readonly workloadStatus = new Gauge({
    name: `${P}workload_status`,
    help: 'Managed workloads: 1 active (its children run under the leader), 0 inactive; exported by the leader only',
    labelNames: ['type', 'name', 'namespace'],
    registers: [this.registry],
    collect: () => this.#fillWorkloads(),
  });
  readonly workloadHealthy = new Gauge({
    name: `${P}workload_healthy`,
    help: 'Managed workloads: 1 healthy (Ready), 0 not; exported by the leader only',
    labelNames: ['type', 'name', 'namespace'],
    registers: [this.registry],
  });
  readonly workloadOperations = new Counter({
    name: `${P}workload_operations_total`,
    help: 'Changes made to workloads by this instance as leader (created, repaired, adopted)',
    labelNames: ['type', 'name', 'operation'],
    registers: [this.registry],
  });
  readonly workloadErrors = new Counter({
    name: `${P}workload_errors_total`,
    help: 'Errors reconciling workloads (refused specs by reason, failed passes)',
    labelNames: ['type', 'name', 'error_type'],
    registers: [this.registry],
  });
  // One gauge per kind, K8 Highlander's, read from the same source as workload_status.
  readonly processStatus = this.#kindGauge(`${P}process_status`, 'process');
  readonly cronJobStatus = this.#kindGauge(`${P}cronjob_status`, 'cronjob');
  readonly serviceStatus = this.#kindGauge(`${P}service_status`, 'service');
  readonly persistentStatus = this.#kindGauge(`${P}persistent_status`, 'persistent');
  readonly startupDuration = new Histogram({
    name: `${P}workload_startup_duration_seconds`,
    help: 'From the leader creating a workload to the workload first being Ready',
    labelNames: ['type', 'name'],
    buckets: LIFECYCLE_BUCKETS,
    registers: [this.registry],
  });
  readonly shutdownDuration = new Histogram({
    name: `${P}workload_shutdown_duration_seconds`,
    help: 'From a workload being deleted to the last of its children (pods included) being gone',
    labelNames: ['type', 'name'],
    buckets: LIFECYCLE_BUCKETS,
    registers: [this.registry],
  });
  readonly retryAttempts = new Counter({
    name: `${P}workload_retry_attempts_total`,
    help: 'Reconcile passes of a workload that retried a failed pass',
    labelNames: ['type', 'name'],
    registers: [this.registry],
  });
  readonly retrySuccess = new Counter({
    name: `${P}workload_retry_success_total`,
    help: 'Retried reconcile passes of a workload that succeeded',
    labelNames: ['type', 'name'],
    registers: [this.registry],
  });
  readonly clusterHealth = new Gauge({
    name: `${P}cluster_health`,
    help: 'Whether this instance can serve in its cluster (1: lock store reachable and caches synced, 0: not)',
    labelNames: ['cluster'],
    registers: [this.registry],
    collect: () => this.#fillHealth(),
  });
  readonly clusterPriority = new Gauge({
    name: `${P}cluster_priority`,
    help: "This instance's cluster's election priority, lower first: always 0, every cluster campaigns alike",
    labelNames: ['cluster'],
    registers: [this.registry],
    collect: () => {
      this.clusterPriority.reset();
      if (this.#health) this.clusterPriority.set({ cluster: this.#health.cluster }, 0);
    },
  });
  readonly clusterTransitions = new Counter({
    name: `${P}cluster_transitions_total`,
    help: "Leadership moves this instance saw, labelled like K8 Highlander's by the holders' ids (previous, new)",
    labelNames: ['from_cluster', 'to_cluster'],
    registers: [this.registry],
  });
  /** db_lock_ttl, the failure run, reconnections and the controller state (see {@link StoreMetrics.follow}). */
  readonly store = new StoreMetrics(this.registry);
  #workloads: (() => WorkloadMetricSource[] | null) | undefined;
  #health: { cluster: string; healthy: () => boolean } | undefined;

  /** Where workload_status/_healthy come from at scrape time; `source` returns null on followers. */
  exportWorkloads(source: () => WorkloadMetricSource[] | null): void {
    this.#workloads = source;
  }

  /** Where cluster_health comes from at scrape time. */
  exportClusterHealth(cluster: string, healthy: () => boolean): void {
    this.#health = { cluster, healthy };
  }

  #fillWorkloads(): void {
    this.workloadStatus.reset();
    this.workloadHealthy.reset();
    for (const w of this.#workloads?.() ?? []) {
      const labels = { type: w.type, name: w.name, namespace: w.namespace };
      this.workloadStatus.set(labels, w.active ? 1 : 0);
      this.workloadHealthy.set(labels, w.healthy ? 1 : 0);
    }
  }

  /** A K8 Highlander per-kind gauge: 1 active, 0 not, for this kind's workloads (leader only). */
  #kindGauge(name: string, type: WorkloadType): Gauge {
    const source = (): WorkloadMetricSource[] => this.#workloads?.() ?? [];
    return new Gauge({
      name,
      help: `Managed ${type} workloads: 1 active, 0 inactive; exported by the leader only`,
      labelNames: ['name', 'namespace'],
      registers: [this.registry],
      collect() {
        this.reset();
        for (const w of source())
          if (w.type === type) this.set({ name: w.name, namespace: w.namespace }, w.active ? 1 : 0);
      },
    });
  }

  #fillHealth(): void {
    this.clusterHealth.reset();
    if (this.#health) this.clusterHealth.set({ cluster: this.#health.cluster }, this.#health.healthy() ? 1 : 0);
  }

  constructor(opts: { processMetrics?: boolean } = {}) {
    this.isLeader.set(0);
    registerProcessMetrics(this.registry);
    if (opts.processMetrics ?? true) collectDefaultMetrics({ register: this.registry });
  }

  /** A gate observer that keeps the leadership and failover metrics. */
  gateObserver(): GateObserver {
    const transition = (): void => {
      this.transitions.inc();
      this.lastTransition.set(Date.now() / 1000);
    };
    return {
      acquired: ({ previousHolder, failoverMs }) => {
        this.isLeader.set(1);
        this.acquisitions.inc();
        transition();
        if (previousHolder !== null) {
          this.failovers.inc();
          if (failoverMs !== undefined) this.failoverDuration.observe(failoverMs / 1000);
        }
      },
      stopped: ({ reason, heldMs }) => {
        this.isLeader.set(0);
        this.losses.inc({ reason });
        this.leadershipDuration.observe(heldMs / 1000);
        transition();
      },
      attemptFailed: () => this.failedAttempts.inc(),
      workFailed: () => this.failoverErrors.inc(),
    };
  }
}

/** Wraps a store so that every call is counted and timed (db_operations, db_errors, db_latency). */
export function instrumentStore(store: LockStore, m: OperatorMetrics): LockStore {
  return aroundStore(store, async (operation, call) => {
    const end = m.dbLatency.startTimer({ operation });
    m.dbOperations.inc({ operation });
    try {
      return await call();
    } catch (err) {
      m.dbErrors.inc({ operation, error_type: err instanceof LockStoreError ? err.code : 'unknown' });
      throw err;
    } finally {
      end();
    }
  });
}
