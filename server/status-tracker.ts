// What this replica knows about leadership, in the shape K8 Highlander's /status answers with.
import type { GateObserver } from '../election/leader-gate.ts';
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
}

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
        this.#seeLeader(this.identity);
      },
      stopped: () => {
        this.#leaderSince = null;
        this.#transition();
      },
    };
  }

  /** Called with every holder the gate sees (null: the lock is free). */
  newLeader(holder: string | null, epoch: number): void {
    if (epoch > this.#epoch) this.#epoch = epoch;
    if (holder !== null) this.#seeLeader(holder);
  }

  /** The current facts. */
  snapshot(): LeadershipStatus {
    const iso = (t: number | null): string | null => (t === null ? null : new Date(t).toISOString());
    return {
      isLeader: this.#leaderSince !== null,
      leaderSince: iso(this.#leaderSince),
      lastLeaderTransition: iso(this.#lastTransition),
      uptime: formatGoDuration(this.#now() - this.#startedAt),
      leaderID: this.identity,
      currentLeader: this.#current,
      lastLeader: this.#last,
      failoverCount: this.#failovers,
      leadershipTransitions: this.#transitions,
      epoch: this.#epoch,
    };
  }

  #transition(): void {
    this.#transitions += 1;
    this.#lastTransition = this.#now();
  }

  #seeLeader(holder: string): void {
    if (holder === this.#current) return;
    if (this.#current) this.#last = this.#current;
    this.#current = holder;
  }
}
