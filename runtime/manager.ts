// A manager of runnables, as controller-runtime's: every part says whether it needs leadership.
// Caches and the HTTP server run on every replica from start to stop, so a new leader begins with
// warm caches; controllers run only while this replica leads, after every cache has synced, and
// are stopped when leadership ends. The manager waits for the leader's parts to settle before
// it reports leadership work done, so the lock is never released under a write still in flight.
import { setMaxListeners } from 'node:events';
import type { WriteGuard } from './write-guard.ts';

/** What a leader's part receives: abort means stop now; the epoch is the fencing token; the lease check guards every write. */
export type LeaderContext = WriteGuard;

/** A part that runs until its signal aborts; the promise settles once it has stopped. */
export interface Runnable {
  readonly name: string;
  /** True: runs only while this replica leads. False: runs from start to stop on every replica. */
  readonly needsLeadership: boolean;
  run(ctx: { signal: AbortSignal } & Partial<LeaderContext>): Promise<void>;
}

/** A cache the leader's parts must wait for: synced once its first list is in. */
export interface SyncedCache {
  hasSynced(): boolean;
  /** Resolves true once synced, false when `signal` aborted first. */
  waitForSync(signal?: AbortSignal): Promise<boolean>;
}

/** Starts and stops runnables by leadership. */
export class Manager {
  readonly #always: Runnable[] = [];
  readonly #leaders: Runnable[] = [];
  readonly #caches: SyncedCache[] = [];
  readonly #stopping = new AbortController();
  #running: Promise<unknown> | undefined;

  /** Adds a part; caches are also waited for before the leader's parts start. */
  add(part: Runnable & Partial<SyncedCache>): this {
    (part.needsLeadership ? this.#leaders : this.#always).push(part);
    if (part.hasSynced && part.waitForSync) this.#caches.push(part as SyncedCache);
    return this;
  }

  /** True once every cache has its first list. */
  synced(): boolean {
    return this.#caches.every((c) => c.hasSynced());
  }

  /** Starts the parts that run on every replica. */
  start(): void {
    if (this.#running) return;
    const signal = this.#stopping.signal;
    this.#running = Promise.allSettled(this.#always.map((p) => p.run({ signal })));
  }

  /**
   * The leader's work: once every cache has synced (and `prepare`, which may read them, is done),
   * runs the leader's parts until `ctx.signal` aborts. Settles only when every one of them has
   * stopped; the first failure is rethrown.
   */
  async lead(ctx: LeaderContext, prepare?: () => Promise<void>): Promise<void> {
    // Every part and cache wait listens on this one signal: the default limit of 10 would warn
    // of a leak that is not one.
    setMaxListeners(64 + this.#leaders.length * 16 + this.#caches.length, ctx.signal);
    const synced = await Promise.all(this.#caches.map((c) => c.waitForSync(ctx.signal)));
    if (ctx.signal.aborted || !synced.every(Boolean)) return;
    await prepare?.();
    if (ctx.signal.aborted) return;
    const results = await Promise.allSettled(this.#leaders.map((p) => p.run(ctx)));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Stops the parts that run on every replica and waits for them. */
  async stop(): Promise<void> {
    this.#stopping.abort();
    await this.#running;
  }
}
