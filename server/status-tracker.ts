// What this replica knows about leadership, in the shape K8 Highlander's /status answers with.
import type { GateObserver, StopReason } from '../election/leader-gate.ts';
import { formatGoDuration } from '../runtime/duration.ts';

/** The leadership part of `/status`. */
export interface LeadershipStatus {
  isLeader: boolean;
  leaderSince: string | null;
  lastLeaderTransition: string | null;
  uptime: string;
  leaderID: string;
  currentLeader: string;
  lastLeader: string;
  failoverCount: number;
  leadershipTransitions: number;
  epoch: number;
  /** Why leadership last changed, as this replica saw it ("" before any change). */
  lastLeadershipChangeReason: string;
}

/** The reason text for each way this replica stops leading. */
const STOPPED: Readonly<Record<StopReason, string>> = {
  lost: 'lost the lock: the store refused a renewal',
  'renew-deadline': 'stepped down: no renewal succeeded within the renew deadline',
  shutdown: 'released the lock at shutdown',
  handover: 'handed the lock over on request',
};

/** Follows the gate's events and keeps the facts `/status` reports. */
export class StatusTracker {
  readonly #startedAt: number;
  readonly #now: () => number;
  #leaderSince: number | null = null;
  #lastTransition: number | null = null;
  #current = '';
  #last = '';
  #failovers = 0;
  #transitions = 0;
  #epoch = 0;
  #reason = '';
  readonly #changeListeners: ((from: string, to: string) => void)[] = [];

  constructor(
    readonly identity: string,
    now: () => number = Date.now,
  ) {
    this.#now = now;
    this.#startedAt = now();
  }

  /** Hooks to combine with the other gate observers. */
  observer(): GateObserver {
    return {
      acquired: ({ epoch, previousHolder }) => {
        this.#leaderSince = this.#now();
        this.#transition();
        this.#epoch = epoch;
        if (previousHolder !== null) this.#failovers += 1;
        this.#reason = previousHolder === null ? 'acquired a free lock' : `took over from ${previousHolder}`;
        this.#seeLeader(this.identity);
      },
      stopped: ({ reason }) => {
        this.#leaderSince = null;
        this.#transition();
        this.#reason = STOPPED[reason];
      },
    };
  }

  /** Called with every holder the gate sees (null: the lock is free). */
  newLeader(holder: string | null, epoch: number): void {
    if (epoch > this.#epoch) this.#epoch = epoch;
    if (holder === null || holder === this.#current) return;
    if (holder !== this.identity) this.#reason = `${holder} became leader`;
    this.#seeLeader(holder);
  }

  /** Calls `listener` each time the holder changes from one known holder to another. */
  onLeaderChange(listener: (from: string, to: string) => void): void {
    this.#changeListeners.push(listener);
  }

  /** Time since this tracker (the process) started. */
  uptimeMs(): number {
    return this.#now() - this.#startedAt;
  }

  /** The current facts. */
  snapshot(): LeadershipStatus {
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      isLeader: this.#leaderSince !== null,
      leaderSince: iso(this.#leaderSince),
      lastLeaderTransition: iso(this.#lastTransition),
      uptime: formatGoDuration(this.uptimeMs()),
      leaderID: this.identity,
      currentLeader: this.#current,
      lastLeader: this.#last,
      failoverCount: this.#failovers,
      leadershipTransitions: this.#transitions,
      epoch: this.#epoch,
      lastLeadershipChangeReason: this.#reason,
    };
  }

  #transition(): void {
    this.#transitions += 1;
    this.#lastTransition = this.#now();
  }

  #seeLeader(holder: string): void {
    if (holder === this.#current) return;
    const from = this.#current;
    if (from) this.#last = from;
    this.#current = holder;
    if (from) for (const l of this.#changeListeners) l(from, holder);
  }
}
