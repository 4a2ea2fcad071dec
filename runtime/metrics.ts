// controller-runtime's workqueue and reconcile metrics (same names, labels and buckets), so its
// dashboards and alerts work unchanged. Several queues and controllers share one registry: each
// metric is registered once and told apart by its `name` / `controller` label.
import { Counter, Gauge, Histogram } from 'prom-client';
import type { Registry } from 'prom-client';
import type { WorkQueueObserver } from './workqueue.ts';

/** controller-runtime's workqueue duration buckets: 10 ns to 1000 s, by factors of 10. */
const QUEUE_BUCKETS = Array.from({ length: 12 }, (_, i) => 1e-8 * 10 ** i);

/** controller-runtime's reconcile_time_seconds buckets. */
const RECONCILE_BUCKETS = [
  0.005, 0.01, 0.025, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.45, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0, 1.25, 1.5, 1.75,
  2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5, 6, 7, 8, 9, 10, 15, 20, 25, 30, 40, 50, 60,
];

/** How one reconcile pass ended, as controller-runtime's `result` label says it. */
export type ReconcileOutcome = 'success' | 'error' | 'requeue' | 'requeue_after';

/** Hooks a controller's workers call to feed the reconcile metrics. */
export interface ReconcileObserver {
  /** A worker began taking keys. */
  workerStarted(): void;
  /** A worker stopped taking keys. */
  workerStopped(): void;
  /**
   * One pass of `key` finished after `ms`; `terminal` marks a TerminalError (counted as an error
   * too); `aborted` an error because leadership ended mid-pass.
   */
  reconciled(info: {
    key?: string;
    outcome: ReconcileOutcome;
    ms: number;
    terminal?: boolean;
    aborted?: boolean;
  }): void;
}

/** A workqueue observer exporting `workqueue_*` metrics labelled `name` into `registry`. */
export function workqueueMetrics(registry: Registry, name: string): WorkQueueObserver {
  const labels = { name };
  const by = ['name'];
  const depth = gauge(registry, 'workqueue_depth', 'Current depth of workqueue', by);
  const adds = counter(registry, 'workqueue_adds_total', 'Total number of adds handled by workqueue', by);
  const latency = histogram(
    registry,
    'workqueue_queue_duration_seconds',
    'How long in seconds an item stays in workqueue before being requested',
    by,
    QUEUE_BUCKETS,
  );
  const work = histogram(
    registry,
    'workqueue_work_duration_seconds',
    'How long in seconds processing an item from workqueue takes',
    by,
    QUEUE_BUCKETS,
  );
  const retries = counter(registry, 'workqueue_retries_total', 'Total number of retries handled by workqueue', by);
  // Present from the start, as in controller-runtime, so that rate() has a zero to begin from.
  depth.set(labels, 0);
  adds.inc(labels, 0);
  retries.inc(labels, 0);
  return {
    depth: (n) => depth.set(labels, n),
    added: () => adds.inc(labels),
    latency: (ms) => latency.observe(labels, ms / 1000),
    workDuration: (ms) => work.observe(labels, ms / 1000),
    retried: () => retries.inc(labels),
  };
}

/** A reconcile observer exporting `controller_runtime_*` metrics labelled `controller` into `registry`. */
export function reconcileMetrics(registry: Registry, controller: string): ReconcileObserver {
  const labels = { controller };
  const by = ['controller'];
  const total = counter(
    registry,
    'controller_runtime_reconcile_total',
    'Total number of reconciliations per controller',
    ['controller', 'result'],
  );
  const errors = counter(
    registry,
    'controller_runtime_reconcile_errors_total',
    'Total number of reconciliation errors per controller',
    by,
  );
  const terminal = counter(
    registry,
    'controller_runtime_terminal_reconcile_errors_total',
    'Total number of terminal reconciliation errors per controller',
    by,
  );
  const time = histogram(
    registry,
    'controller_runtime_reconcile_time_seconds',
    'Length of time per reconciliation per controller',
    by,
    RECONCILE_BUCKETS,
  );
  const workers = gauge(
    registry,
    'controller_runtime_active_workers',
    'Number of currently used workers per controller',
    by,
  );
  for (const result of ['success', 'error', 'requeue', 'requeue_after'] satisfies ReconcileOutcome[]) {
    total.inc({ controller, result }, 0);
  }
  errors.inc(labels, 0);
  terminal.inc(labels, 0);
  workers.set(labels, 0);
  return {
    workerStarted: () => workers.inc(labels),
    workerStopped: () => workers.dec(labels),
    reconciled: ({ outcome, ms, terminal: isTerminal }) => {
      total.inc({ controller, result: outcome });
      if (outcome === 'error') errors.inc(labels);
      if (isTerminal) terminal.inc(labels);
      time.observe(labels, ms / 1000);
    },
  };
}

function counter(registry: Registry, name: string, help: string, labelNames: string[]): Counter {
  return registered(registry, name, Counter) ?? new Counter({ name, help, labelNames, registers: [registry] });
}

function gauge(registry: Registry, name: string, help: string, labelNames: string[]): Gauge {
  return registered(registry, name, Gauge) ?? new Gauge({ name, help, labelNames, registers: [registry] });
}

function histogram(registry: Registry, name: string, help: string, labelNames: string[], buckets: number[]): Histogram {
  return (
    registered(registry, name, Histogram) ?? new Histogram({ name, help, labelNames, buckets, registers: [registry] })
  );
}

/**
 * The metric `name` if another queue or controller registered it already. A name taken by a
 * metric of another type is a programming error and throws.
 */
function registered<M>(registry: Registry, name: string, type: abstract new (...args: never[]) => M): M | undefined {
  const existing = registry.getSingleMetric(name);
  if (existing === undefined) return undefined;
  if (existing instanceof type) return existing;
  throw new TypeError(`metrics: ${name} is already registered with another type`);
}
