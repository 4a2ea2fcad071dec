// What changed, for the live dashboard and `/api/events` (SSE): leadership, workloads,
// controller events and failovers. Keeps a bounded history so a new subscriber sees the recent past.

/** One workload as the live views show it. */
export interface WorkloadView {
  kind: string;
  type: string;
  namespace: string;
  name: string;
  active: boolean;
  healthy: boolean;
  phase: string;
  message: string;
}

/** A change pushed to subscribers. `at` is an ISO timestamp. */
export type HubEvent =
  | {
      type: 'leadership';
      at: string;
      /** acquired/stopped/released: this replica; observed: another holder; free: nobody holds it. */
      change: 'acquired' | 'stopped' | 'released' | 'observed' | 'free';
      leader: string | null;
      epoch: number;
      reason?: string;
    }
  | { type: 'workload'; at: string; change: 'added' | 'updated' | 'deleted'; workload: WorkloadView }
  | {
      type: 'event';
      at: string;
      kind: string;
      namespace: string;
      name: string;
      level: 'Normal' | 'Warning';
      reason: string;
      message: string;
    }
  | { type: 'failover'; at: string; failover: FailoverEntry };

/** One leadership change in the failover timeline. */
export interface FailoverEntry {
  at: string;
  /** The previous leader, or null for a first election. */
  from: string | null;
  to: string;
  epoch: number;
  /**
   * Leaderless time: from the moment the previous hold was free (released or expired) to the
   * new grant. Measured exactly when this replica took over; when it only watched, from the moment
   * it saw the lock free to the moment it saw the new holder (null if it did not see it free).
   */
  durationMs: number | null;
  /** Whether this replica took the lock (`self`) or saw another take it (`observed`). */
  observedBy: 'self' | 'observed';
}

type Listener = (e: HubEvent) => void;

/** Distributes events to subscribers and remembers the last few. */
export class EventHub {
  readonly #listeners = new Set<Listener>();
  readonly #recent: HubEvent[] = [];
  readonly #failovers: FailoverEntry[] = [];

  constructor(
    readonly maxRecent = 200,
    readonly maxFailovers = 50,
  ) {}

  publish(e: HubEvent): void {
    if (e.type === 'failover') push(this.#failovers, e.failover, this.maxFailovers);
    // Workload updates are state, not history: the snapshot carries them.
    if (e.type !== 'workload') push(this.#recent, e, this.maxRecent);
    for (const l of this.#listeners) {
      try {
        l(e);
      } catch {
        // A broken subscriber (a closed connection) must not stop the others.
      }
    }
  }

  /** Calls `l` with every event from now on; returns the unsubscribe function. */
  subscribe(l: Listener): () => void {
    this.#listeners.add(l);
    return () => this.#listeners.delete(l);
  }

  get subscribers(): number {
    return this.#listeners.size;
  }

  /** The last events (not workload updates), oldest first. */
  recent(): HubEvent[] {
    return [...this.#recent];
  }

  /** The failover timeline, newest first. */
  failovers(): FailoverEntry[] {
    return [...this.#failovers].reverse();
  }
}

function push<T>(list: T[], item: T, max: number): void {
  list.push(item);
  if (list.length > max) list.splice(0, list.length - max);
}

/**
 * Turns what one replica sees of the lock into failover entries: its own grants (with the
 * gate's exact leaderless time) and other holders it observes.
 */
export class FailoverRecorder {
  #current: string | null = null;
  #freeSeenAt: number | null = null;

  constructor(
    readonly identity: string,
    readonly hub: EventHub,
    readonly now: () => number = Date.now,
  ) {}

  /** This replica was granted the lock. */
  acquired(epoch: number, previous: string | null, failoverMs: number | undefined): void {
    this.#record(this.identity, epoch, previous, failoverMs ?? null, 'self');
  }

  /** The gate saw a holder (null: the lock is free). */
  holderSeen(holder: string | null, epoch: number): void {
    if (holder === null) {
      if (this.#current !== null) this.#freeSeenAt ??= this.now();
      return;
    }
    if (holder === this.identity || holder === this.#current) return;
    const duration = this.#freeSeenAt === null ? null : this.now() - this.#freeSeenAt;
    this.#record(holder, epoch, this.#current, duration, 'observed');
  }

  /** This replica stopped leading: the lock is (about to be) free. */
  stopped(): void {
    this.#freeSeenAt = this.now();
  }

  #record(
    to: string,
    epoch: number,
    from: string | null,
    durationMs: number | null,
    observedBy: FailoverEntry['observedBy'],
  ): void {
    this.#current = to;
    this.#freeSeenAt = null;
    const at = new Date(this.now()).toISOString();
    this.hub.publish({ type: 'failover', at, failover: { at, from, to, epoch, durationMs, observedBy } });
  }
}
