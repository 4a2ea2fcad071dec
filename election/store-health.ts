// Whether the lock store answers, judged by the most recent completed call, and how long it has
// not: the run of failed calls since the last success (K8 Highlander's "DB failure" figures).
import type { LockStore } from '../locks/lock-store.ts';
import { aroundStore } from './around-store.ts';

/** One completed call, as a {@link StoreHealth} listener is told of it. */
export interface StoreOutcome {
  ok: boolean;
  /** Failed calls in a row before this one (0: the store answered the previous call). */
  failuresBefore: number;
  /** The error of a failed call. */
  err?: unknown;
}

/** Tracks the outcome of the latest lock-store calls. */
export class StoreHealth {
  readonly #now: () => number;
  readonly #listeners: ((o: StoreOutcome) => void)[] = [];
  #ok: boolean | undefined;
  #lastError = '';
  #failures = 0;
  #failingSince: number | null = null;
  #lastSuccessAt: number | null = null;
  #lastFailureAt: number | null = null;

  constructor(now: () => number = Date.now) {
    this.#now = now;
  }

  /** Reachable once a call has succeeded, until one fails. */
  get reachable(): boolean {
    return this.#ok === true;
  }

  /** The latest error message, for /readyz. */
  get lastError(): string {
    return this.#lastError;
  }

  /** Failed calls in a row since the last success (0 while the store answers). */
  get consecutiveFailures(): number {
    return this.#failures;
  }

  /** How long the current run of failures has lasted, from its first failed call (0 when there is none). */
  failingForMs(): number {
    return this.#failingSince === null ? 0 : this.#now() - this.#failingSince;
  }

  /** When a call last succeeded / last failed (epoch ms), null if never. */
  get lastSuccessAt(): number | null {
    return this.#lastSuccessAt;
  }
  get lastFailureAt(): number | null {
    return this.#lastFailureAt;
  }

  /** Calls `listener` after every completed call (metrics count reconnections from it). */
  onOutcome(listener: (o: StoreOutcome) => void): void {
    this.#listeners.push(listener);
  }

  /** Wraps `store` so every call's outcome is recorded (subscribing is not a health signal). */
  watch(store: LockStore): LockStore {
    return aroundStore(store, async (operation, call) => {
      if (operation === 'subscribe') return call();
      try {
        const v = await call();
        this.#succeeded();
        return v;
      } catch (err) {
        this.#failed(err);
        throw err;
      }
    });
  }

  #succeeded(): void {
    const failuresBefore = this.#failures;
    this.#ok = true;
    this.#failures = 0;
    this.#failingSince = null;
    this.#lastSuccessAt = this.#now();
    this.#tell({ ok: true, failuresBefore });
  }

  #failed(err: unknown): void {
    const failuresBefore = this.#failures;
    const now = this.#now();
    this.#ok = false;
    this.#lastError = err instanceof Error ? err.message : String(err);
    this.#failures += 1;
    this.#failingSince ??= now;
    this.#lastFailureAt = now;
    this.#tell({ ok: false, failuresBefore, err });
  }

  #tell(o: StoreOutcome): void {
    for (const l of this.#listeners) l(o);
  }
}
