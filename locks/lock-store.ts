// The one small interface every lock store implements. A store is a dumb record keeper:
// it grants, renews and releases one named lock atomically and says how long the current
// hold has left by its own clock. All timing policy lives in the leader gate (election/).

/** The lock store backends, named as the `storageType` setting names them. */
export type Backend = 'kubernetes' | 'redis' | 'db' | 'spanner';

/** What the store knows about the lock right now. */
export interface LockState {
  /** Identity of the holder, or null when the lock is free (never taken, released or expired). */
  holder: string | null;
  /** The epoch of the latest grant (0 when never granted). Strictly increases across grants. */
  epoch: number;
  /**
   * Milliseconds until the current hold expires, judged by the store's own clock (Redis TTL,
   * PostgreSQL now(), Spanner commit time; for the Lease, the time this client last saw the
   * record change). 0 when the lock is free.
   */
  remainingMs: number;
}

/** A grant: the caller holds the lock with this epoch for `remainingMs` by the store's clock. */
export interface Grant {
  epoch: number;
  remainingMs: number;
}

/** The answer to {@link LockStore.tryAcquire}: a grant, or the state that prevented one. */
export type AcquireResult = ({ acquired: true } & Grant) | { acquired: false; state: LockState };

/**
 * A change a store tells its subscribers about, as soon as it happens. A release says `clean`
 * when its holder said so (see {@link ReleaseOptions}); stores whose notifications cannot carry
 * it (Spanner polls; the Lease store is its own fence) never say it.
 */
export type LockEvent =
  { type: 'released'; epoch: number; clean?: boolean } | { type: 'acquired'; holder: string; epoch: number };

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call (the store may still complete it; the caller must not rely on the result). */
  signal?: AbortSignal;
}

/** Options of {@link LockStore.release}. */
export interface ReleaseOptions extends CallOptions {
  /**
   * The holder vouches that no write of its hold can still land anywhere: every one was answered.
   * Passed on to subscribers with the release, so a successor may skip fencing that epoch out.
   */
  clean?: boolean;
}

/**
 * One named lock in one store. Every method has a deadline (set when the store is built) and
 * throws a {@link LockStoreError} when the store cannot be reached or answers unexpectedly.
 */
export interface LockStore {
  readonly backend: Backend;
  /**
   * Whether a release's `clean` reaches the subscribers (Redis, PostgreSQL). Where it cannot, a
   * successor fences the released epoch out itself, so the holder does it while its work drains.
   */
  readonly announcesCleanRelease?: boolean;
  /** The lock's name in the store (a Lease name, a Redis key, a row key). */
  readonly lockName: string;
  /**
   * Takes the lock for `holder` if it is free, expired, or already held by `holder` (a
   * restarted process with the same identity). Every grant gets a new, larger epoch.
   */
  tryAcquire(holder: string, ttlMs: number, opts?: CallOptions): Promise<AcquireResult>;
  /**
   * Extends a hold. Returns the new grant, or null when `holder` no longer holds the lock
   * with `epoch` — including when its hold has expired, even if nobody took it since.
   */
  renew(holder: string, epoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null>;
  /**
   * The epoch floor: while `holder` holds the lock with `epoch`, sets its epoch to `minEpoch` when
   * that is larger (and every later grant above it) and extends the hold like a renewal. Returns
   * the grant, or null when `holder` no longer holds the lock with `epoch`.
   */
  raiseEpoch(holder: string, epoch: number, minEpoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null>;
  /**
   * Frees the lock if `holder` still holds it with `epoch`, and tells subscribers at once.
   * Returns whether it was released; never touches another holder's lock.
   */
  release(holder: string, epoch: number, opts?: ReleaseOptions): Promise<boolean>;
  /** Reads the current state. */
  read(opts?: CallOptions): Promise<LockState>;
  /**
   * Calls `listener` on every release and acquisition (Lease watch, Redis pub/sub, PostgreSQL
   * LISTEN/NOTIFY; a store without notifications may poll). Resolves once listening; the
   * returned function stops it. Notifications are hints: act on them by calling the store.
   */
  subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>>;
  /** Releases connections. The lock itself is left as it is. */
  close(): Promise<void>;
}

/** Why a store call failed. */
export type LockStoreErrorCode = 'unavailable' | 'timeout' | 'invalid-response' | 'config';

/** A failed store call. `unavailable` and `timeout` are worth retrying; the others are not. */
export class LockStoreError extends Error {
  override readonly name = 'LockStoreError';
  constructor(
    readonly code: LockStoreErrorCode,
    readonly backend: Backend,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`${backend} lock store: ${message}`, options);
  }

  /** Whether retrying the same call later may succeed. */
  get retryable(): boolean {
    return this.code === 'unavailable' || this.code === 'timeout';
  }
}

/**
 * Runs `op` with a deadline: rejects with a `timeout` LockStoreError after `ms`, wraps any
 * other failure as `unavailable`, and passes an AbortSignal that fires on the deadline or
 * when the caller's own signal aborts.
 */
export async function withDeadline<T>(
  backend: Backend,
  what: string,
  ms: number,
  callerSignal: AbortSignal | undefined,
  op: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const ac = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let onAbort = (): void => undefined;
  // Ends the wait on the deadline, or at once when the caller gives up.
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      const err = new LockStoreError('timeout', backend, `${what} took longer than ${ms} ms`);
      ac.abort(err);
      reject(err);
    }, ms);
    onAbort = (): void => {
      ac.abort(callerSignal?.reason);
      reject(new LockStoreError('timeout', backend, `${what} aborted by caller`));
    };
  });
  callerSignal?.addEventListener('abort', onAbort, { once: true });
  try {
    if (callerSignal?.aborted) throw new LockStoreError('timeout', backend, `${what} aborted by caller`);
    return await Promise.race([op(ac.signal), deadline]);
  } catch (err) {
    if (err instanceof LockStoreError) throw err;
    const msg = err instanceof Error ? err.message : String(err);
    throw new LockStoreError('unavailable', backend, `${what} failed: ${msg}`, { cause: err });
  } finally {
    clearTimeout(timer);
    callerSignal?.removeEventListener('abort', onAbort);
  }
}
