// A rate-limited, delaying work queue with client-go's semantics: a key is queued at most once,
// never handed to two workers at once, and a key that changes while it is being processed is
// processed again afterwards. Time comes from an injected clock, so tests need no sleeps.
import type { Clock, TimerHandle } from './clock.ts';
import { systemClock } from './clock.ts';
import type { ObjectKey } from './types.ts';

/** Hooks for controller-runtime's workqueue metrics; every one optional. */
export interface WorkQueueObserver {
  /** Keys waiting to be handed out (including those re-queued while being processed). */
  depth?(n: number): void;
  /** A key was added that was not already waiting. */
  added?(): void;
  /** How long a key waited from its add to being handed to a worker. */
  latency?(ms: number): void;
  /** How long a worker held a key, from get() to done(). */
  workDuration?(ms: number): void;
  /** A key was re-queued with backoff (addRateLimited). */
  retried?(): void;
}

/** Settings of a {@link WorkQueue}; the defaults are client-go's DefaultControllerRateLimiter. */
export interface WorkQueueOptions {
  clock?: Clock;
  /** First per-key backoff; doubles with every failure (default 5 ms). */
  baseDelayMs?: number;
  /** Cap of the per-key backoff (default 1000 s). */
  maxDelayMs?: number;
  /** Refill rate of the global token bucket, per second (default 10). */
  qps?: number;
  /** Size of the global token bucket (default 100). */
  burst?: number;
  observer?: WorkQueueObserver;
}

/** A key waiting for its time (addAfter); entries whose time was superseded are skipped. */
interface Delayed {
  key: ObjectKey;
  at: number;
}

/** A get() caller waiting for a key. */
type Waiter = (key: ObjectKey | undefined) => void;

/** A deduplicating FIFO of keys with delays, per-key backoff and a global rate limit. */
export class WorkQueue {
  readonly #clock: Clock;
  readonly #baseDelayMs: number;
  readonly #maxDelayMs: number;
  readonly #qps: number;
  readonly #burst: number;
  readonly #observer: WorkQueueObserver;

  /** Ready keys in FIFO order; every one is also in #dirty and none is in #processing. */
  #queue: ObjectKey[] = [];
  /** Keys that need processing: the queued ones plus those added again while processing. */
  readonly #dirty = new Set<ObjectKey>();
  readonly #processing = new Set<ObjectKey>();
  readonly #waiters: Waiter[] = [];
  #shuttingDown = false;

  /** The authoritative ready time of each delayed key. */
  readonly #delayedAt = new Map<ObjectKey, number>();
  /** Delayed entries sorted by time (stale ones included, skipped when they come due). */
  #delayed: Delayed[] = [];
  #timer: TimerHandle | undefined;
  #timerAt: number | undefined;

  readonly #failures = new Map<ObjectKey, number>();
  #tokens: number;
  #tokensAt: number;

  readonly #addedAt = new Map<ObjectKey, number>();
  readonly #startedAt = new Map<ObjectKey, number>();

  constructor(opts: WorkQueueOptions = {}) {
    this.#clock = opts.clock ?? systemClock;
    this.#baseDelayMs = opts.baseDelayMs ?? 5;
    this.#maxDelayMs = opts.maxDelayMs ?? 1_000_000;
    this.#qps = opts.qps ?? 10;
    this.#burst = opts.burst ?? 100;
    this.#observer = opts.observer ?? {};
    const rules: [boolean, string][] = [
      [this.#baseDelayMs > 0, `baseDelayMs (${this.#baseDelayMs}) must be positive`],
      [
        this.#maxDelayMs >= this.#baseDelayMs,
        `maxDelayMs (${this.#maxDelayMs}) must be at least baseDelayMs (${this.#baseDelayMs})`,
      ],
      [this.#qps > 0, `qps (${this.#qps}) must be positive`],
      [this.#burst >= 1, `burst (${this.#burst}) must be at least 1`],
    ];
    const broken = rules.find(([ok]) => !ok);
    if (broken) throw new RangeError(`workqueue: ${broken[1]}`);
    this.#tokens = this.#burst;
    this.#tokensAt = this.#clock.now();
  }

  /** Queues `key` unless it is already waiting; a key being processed is queued again on done(). */
  add(key: ObjectKey): void {
    if (this.#shuttingDown || this.#dirty.has(key)) return;
    this.#observer.added?.();
    if (!this.#addedAt.has(key)) this.#addedAt.set(key, this.#clock.now());
    this.#dirty.add(key);
    this.#reportDepth();
    if (this.#processing.has(key)) return;
    this.#queue.push(key);
    this.#dispatch();
  }

  /** Queues `key` after `ms`; if it is already waiting for a sooner time, that time stands. */
  addAfter(key: ObjectKey, ms: number): void {
    if (this.#shuttingDown) return;
    if (ms <= 0) {
      this.add(key);
      return;
    }
    const at = this.#clock.now() + ms;
    const pending = this.#delayedAt.get(key);
    if (pending !== undefined && pending <= at) return;
    this.#delayedAt.set(key, at);
    this.#insertDelayed({ key, at });
    this.#schedule();
  }

  /**
   * Queues `key` after its backoff: baseDelay × 2^failures (capped), or later if the global
   * token bucket is empty, and counts one more failure for it.
   */
  addRateLimited(key: ObjectKey): void {
    if (this.#shuttingDown) return;
    this.#observer.retried?.();
    this.addAfter(key, Math.max(this.#backoff(key), this.#reserveToken()));
  }

  /** Resets the failure count of `key` (call it when a pass succeeded). */
  forget(key: ObjectKey): void {
    this.#failures.delete(key);
  }

  /** How many times `key` was re-queued with backoff since it was last forgotten. */
  failures(key: ObjectKey): number {
    return this.#failures.get(key) ?? 0;
  }

  /**
   * The next ready key, which the caller must hand back with done(). Waits while none is ready;
   * resolves undefined once `signal` aborts or the queue shuts down.
   */
  get(signal?: AbortSignal): Promise<ObjectKey | undefined> {
    if (this.#shuttingDown || signal?.aborted) return Promise.resolve(undefined);
    const ready = this.#take();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => {
      const onAbort = (): void => {
        const i = this.#waiters.indexOf(waiter);
        if (i >= 0) this.#waiters.splice(i, 1);
        resolve(undefined);
      };
      // Called synchronously with a key already marked as processing, so none is ever lost.
      const waiter: Waiter = (key) => {
        signal?.removeEventListener('abort', onAbort);
        resolve(key);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiters.push(waiter);
    });
  }

  /** Marks `key` as processed; if it was added meanwhile, it is queued again. */
  done(key: ObjectKey): void {
    if (!this.#processing.delete(key)) return;
    const started = this.#startedAt.get(key);
    this.#startedAt.delete(key);
    if (started !== undefined) this.#observer.workDuration?.(this.#clock.now() - started);
    if (this.#dirty.has(key) && !this.#shuttingDown) {
      this.#queue.push(key);
      this.#dispatch();
    }
  }

  /** Number of keys ready to be handed out. */
  len(): number {
    return this.#queue.length;
  }

  /** True once shutDown() was called. */
  isShuttingDown(): boolean {
    return this.#shuttingDown;
  }

  /**
   * Stops the queue without draining it: queued and delayed keys are dropped (a new leader
   * lists everything anyway), later adds are ignored, and every waiting get() resolves undefined.
   * Keys being processed can still be marked done().
   */
  shutDown(): void {
    if (this.#shuttingDown) return;
    this.#shuttingDown = true;
    this.#clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#timerAt = undefined;
    this.#delayed = [];
    this.#delayedAt.clear();
    this.#queue = [];
    this.#dirty.clear();
    this.#addedAt.clear();
    this.#reportDepth();
    for (const waiter of this.#waiters.splice(0)) waiter(undefined);
  }

  /** Takes the first ready key and marks it as processing. */
  #take(): ObjectKey | undefined {
    const key = this.#queue.shift();
    if (key === undefined) return undefined;
    this.#dirty.delete(key);
    this.#processing.add(key);
    const now = this.#clock.now();
    this.#startedAt.set(key, now);
    const added = this.#addedAt.get(key);
    this.#addedAt.delete(key);
    if (added !== undefined) this.#observer.latency?.(now - added);
    this.#reportDepth();
    return key;
  }

  /** Hands ready keys to waiting workers, first come first served. */
  #dispatch(): void {
    while (this.#waiters.length > 0 && this.#queue.length > 0) {
      const waiter = this.#waiters.shift();
      const key = this.#take();
      if (waiter && key !== undefined) waiter(key);
    }
  }

  #reportDepth(): void {
    this.#observer.depth?.(this.#dirty.size);
  }

  /** The per-key exponential backoff (client-go's ItemExponentialFailureRateLimiter). */
  #backoff(key: ObjectKey): number {
    const failures = this.#failures.get(key) ?? 0;
    this.#failures.set(key, failures + 1);
    // 2^failures overflows to Infinity long after it passed any sane cap; min() handles that.
    return Math.min(this.#maxDelayMs, this.#baseDelayMs * 2 ** failures);
  }

  /** Takes one token from the global bucket and returns how long to wait for it (x/time/rate's Reserve). */
  #reserveToken(): number {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#burst, this.#tokens + ((now - this.#tokensAt) * this.#qps) / 1000);
    this.#tokensAt = now;
    this.#tokens -= 1;
    return this.#tokens >= 0 ? 0 : (-this.#tokens * 1000) / this.#qps;
  }

  /** Inserts keeping #delayed sorted by time, after entries with the same time (FIFO). */
  #insertDelayed(entry: Delayed): void {
    let lo = 0;
    let hi = this.#delayed.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.#delayed[mid]?.at ?? Infinity) <= entry.at) lo = mid + 1;
      else hi = mid;
    }
    this.#delayed.splice(lo, 0, entry);
  }

  /** Keeps one timer, set for the soonest delayed key. */
  #schedule(): void {
    const next = this.#delayed[0];
    if (next === undefined) return;
    if (this.#timerAt !== undefined && this.#timerAt <= next.at) return;
    this.#clock.clearTimeout(this.#timer);
    this.#timerAt = next.at;
    this.#timer = this.#clock.setTimeout(() => this.#fire(), next.at - this.#clock.now());
  }

  /** Moves every delayed key whose time has come into the queue. */
  #fire(): void {
    this.#timer = undefined;
    this.#timerAt = undefined;
    const now = this.#clock.now();
    let due = 0;
    while (due < this.#delayed.length && (this.#delayed[due]?.at ?? Infinity) <= now) due += 1;
    for (const { key, at } of this.#delayed.splice(0, due)) {
      // An entry superseded by a sooner addAfter was already handled when that one came due.
      if (this.#delayedAt.get(key) !== at) continue;
      this.#delayedAt.delete(key);
      this.add(key);
    }
    this.#schedule();
  }
}
