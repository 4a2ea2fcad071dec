// K8 Highlander's lock-store health metrics beyond operations and latency: the lease's remaining
// time, the run of failed calls, reconnections, and the controller state they put it in. Counters
// follow the store-health listener; gauges are read at scrape time.
import { Counter, Gauge } from 'prom-client';
import type { Registry } from 'prom-client';
import type { StoreHealth, StoreOutcome } from '../election/store-health.ts';
import { LockStoreError } from '../locks/lock-store.ts';
import { P } from './metric-prefix.ts';

/** K8 Highlander's controller states (the `state` label of controller_state_status). */
export const DB_STATES = ['NORMAL', 'DEGRADED_DB', 'SPLIT_BRAIN_RISK'] as const;
export type DbState = (typeof DB_STATES)[number];

/**
 * NORMAL while the store answers; DEGRADED_DB while its calls fail; SPLIT_BRAIN_RISK once they
 * have failed for `thresholdMs` (the renew deadline: by then a leader here has stopped acting).
 */
export function dbState(
  health: Pick<StoreHealth, 'consecutiveFailures' | 'failingForMs'>,
  thresholdMs: number,
): DbState {
  if (health.consecutiveFailures === 0) return 'NORMAL';
  return health.failingForMs() >= thresholdMs ? 'SPLIT_BRAIN_RISK' : 'DEGRADED_DB';
}

/** What the scrape-time gauges read. */
export interface StoreMetricSource {
  health: StoreHealth;
  /** The renew deadline: failing this long means a leader here has stepped down. */
  thresholdMs: number;
  /** The current hold's remaining time as this replica knows it (null: free or unknown). */
  leaseRemainingMs: () => number | null;
}

/** The store metrics, registered in `registry`; feed them with {@link StoreMetrics.follow}. */
export class StoreMetrics {
  #source: StoreMetricSource | undefined;
  readonly connectionFailed: Counter;
  readonly reconnectionAttempts: Counter;
  readonly reconnectionSuccess: Counter;

  constructor(registry: Registry) {
    const reg = [registry];
    const src = (): StoreMetricSource | undefined => this.#source;
    this.connectionFailed = new Counter({
      name: `${P}db_connection_failed_total`,
      help: 'Lock-store calls that failed because the store could not be reached (unavailable or timed out)',
      registers: reg,
    });
    this.reconnectionAttempts = new Counter({
      name: `${P}db_reconnection_attempts_total`,
      help: 'Lock-store calls made while the previous call had failed (attempts to reach the store again)',
      registers: reg,
    });
    this.reconnectionSuccess = new Counter({
      name: `${P}db_reconnection_success_total`,
      help: 'Lock-store calls that succeeded after one or more failed calls',
      registers: reg,
    });
    scrapeGauge(
      reg,
      `${P}db_lock_ttl_seconds`,
      'Time left on the current hold of the lock, in seconds (0: free or unknown)',
      () => (src()?.leaseRemainingMs() ?? 0) / 1000,
    );
    scrapeGauge(
      reg,
      `${P}db_consecutive_failures`,
      'Failed lock-store calls in a row since the last success',
      () => src()?.health.consecutiveFailures ?? 0,
    );
    scrapeGauge(
      reg,
      `${P}db_failure_duration_seconds`,
      'How long lock-store calls have been failing, in seconds (0: they succeed)',
      () => (src()?.health.failingForMs() ?? 0) / 1000,
    );
    scrapeGauge(
      reg,
      `${P}db_last_success_timestamp_seconds`,
      'Unix time of the last successful lock-store call (0: none yet)',
      () => (src()?.health.lastSuccessAt ?? 0) / 1000,
    );
    scrapeGauge(
      reg,
      `${P}split_brain_protection_active`,
      '1 once lock-store calls have failed for the renew deadline: a leader here has stopped acting',
      () => {
        const s = src();
        return s && dbState(s.health, s.thresholdMs) === 'SPLIT_BRAIN_RISK' ? 1 : 0;
      },
    );
    new Gauge({
      name: `${P}controller_state_status`,
      help: 'The controller state from lock-store health: 1 for the current state (NORMAL, DEGRADED_DB, SPLIT_BRAIN_RISK)',
      labelNames: ['state'],
      registers: reg,
      collect() {
        const s = src();
        const current = s ? dbState(s.health, s.thresholdMs) : 'NORMAL';
        for (const state of DB_STATES) this.set({ state }, state === current ? 1 : 0);
      },
    });
  }

  /** Reads the gauges from `source` and counts every completed call of its store. */
  follow(source: StoreMetricSource): void {
    this.#source = source;
    source.health.onOutcome((o) => this.#count(o));
  }

  #count(o: StoreOutcome): void {
    if (o.failuresBefore > 0) this.reconnectionAttempts.inc();
    if (o.ok && o.failuresBefore > 0) this.reconnectionSuccess.inc();
    if (!o.ok && o.err instanceof LockStoreError && o.err.retryable) this.connectionFailed.inc();
  }
}

/** A label-less gauge whose value `read` gives at scrape time. */
function scrapeGauge(registers: Registry[], name: string, help: string, read: () => number): Gauge {
  return new Gauge({
    name,
    help,
    registers,
    collect() {
      this.set(read());
    },
  });
}
