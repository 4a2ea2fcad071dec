// Cloud Spanner's side of the lock: the row, the decisions taken on it inside a transaction
// (judged by the commit timestamp's clock), its SQL and DDL, and the classification of gRPC errors.
import { createRequire } from 'node:module';
import type * as Gax from 'google-gax';
import type { LockEvent, LockState, LockStoreErrorCode } from '../lock-store.ts';
import { LockStoreError } from '../lock-store.ts';

// Plaintext credentials for the emulator must come from the very grpc-js copy that the Spanner
// client uses (grpc-js checks credentials with instanceof), so load google-gax from its side.
export const gax = createRequire(import.meta.resolve('@google-cloud/spanner'))('google-gax') as typeof Gax;

/** The default table; created on first use when missing. */
export const DEFAULT_TABLE = 'highlander_locks';

/** The lock's row key for a tenant (the same scheme as the Redis key). */
export const lockNameFor = (tenant: string): string => `highlander-leader-lock:${tenant}`;

/** The lock's row as read, times in microseconds since the epoch (Spanner's clock). */
export interface LockRow {
  holder: string | null;
  epoch: number;
  expiresUs: number | null;
}

/** What {@link decideAcquire} says to do: grant (inserting the row or updating it), or refuse. */
export type AcquireDecision = { grant: true; epoch: number; insert: boolean } | { grant: false; state: LockState };

/** Whether `row` is held at `nowUs`: a holder and an expiry still ahead. */
export function isLive(
  row: LockRow | undefined,
  nowUs: number,
): row is LockRow & { holder: string; expiresUs: number } {
  return row !== undefined && row.holder !== null && row.expiresUs !== null && row.expiresUs > nowUs;
}

/** The state a row amounts to at `nowUs`; an expired hold reads as free. */
export function lockState(row: LockRow | undefined, nowUs: number): LockState {
  if (!row) return { holder: null, epoch: 0, remainingMs: 0 };
  if (!isLive(row, nowUs)) return { holder: null, epoch: row.epoch, remainingMs: 0 };
  // Whole milliseconds, but at least 1 while held: 0 means free.
  return { holder: row.holder, epoch: row.epoch, remainingMs: Math.max(1, Math.floor((row.expiresUs - nowUs) / 1000)) };
}

/** Acquisition: granted when the lock is missing, free, expired, or already `holder`'s. */
export function decideAcquire(row: LockRow | undefined, nowUs: number, holder: string): AcquireDecision {
  if (!row) return { grant: true, epoch: 1, insert: true };
  const state = lockState(row, nowUs);
  if (state.holder !== null && state.holder !== holder) return { grant: false, state };
  return { grant: true, epoch: row.epoch + 1, insert: false };
}

/** Whether `holder` holds the lock with `epoch` at `nowUs` (what renew and release require). */
export function holds(row: LockRow | undefined, nowUs: number, holder: string, epoch: number): boolean {
  return isLive(row, nowUs) && row.holder === holder && row.epoch === epoch;
}

/**
 * The lock events that a change between two polled states amounts to. A grant that began and
 * ended between two polls shows only as a larger epoch on a free lock: it is announced as
 * released (its holder is unknown, and no longer matters).
 */
export function pollEvents(before: LockState | undefined, after: LockState): LockEvent[] {
  const events: LockEvent[] = [];
  const was = before?.holder ?? null;
  const oldEpoch = before?.epoch ?? 0;
  // A hold that ended (released, expired, or replaced between two polls) was released.
  if (was !== null && (after.holder === null || after.epoch !== oldEpoch)) {
    events.push({ type: 'released', epoch: oldEpoch });
  }
  if (after.holder !== null && (was === null || after.epoch !== oldEpoch)) {
    events.push({ type: 'acquired', holder: after.holder, epoch: after.epoch });
  }
  if (before && after.holder === null && after.epoch > oldEpoch) {
    events.push({ type: 'released', epoch: after.epoch });
  }
  return events;
}

/** gRPC status codes the store tells apart. */
export const Status = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  UNIMPLEMENTED: 12,
  UNAUTHENTICATED: 16,
} as const;

export const codeOf = (err: unknown): number | undefined =>
  typeof err === 'object' && err !== null && 'code' in err && typeof err.code === 'number' ? err.code : undefined;
export const messageOf = (err: unknown): string => (err instanceof Error ? err.message : String(err));

/** What a failed Spanner call amounts to: only misconfiguration is not worth retrying. */
export function errorCode(err: unknown): LockStoreErrorCode {
  if (err instanceof LockStoreError) return err.code;
  switch (codeOf(err)) {
    case Status.DEADLINE_EXCEEDED:
    case Status.CANCELLED:
      return 'timeout';
    case Status.INVALID_ARGUMENT:
    case Status.NOT_FOUND:
    case Status.PERMISSION_DENIED:
    case Status.UNIMPLEMENTED:
    case Status.UNAUTHENTICATED:
      return 'config';
    default:
      // UNAVAILABLE, ABORTED after our retries, RESOURCE_EXHAUSTED, INTERNAL and the like.
      return 'unavailable';
  }
}

export function toLockStoreError(what: string, err: unknown): LockStoreError {
  if (err instanceof LockStoreError) return err;
  return new LockStoreError(errorCode(err), 'spanner', `${what}: ${messageOf(err)}`, { cause: err });
}

/** Raised inside a transaction to get out of the client's own retry loop (see #transact). */
export class Retry extends Error {
  constructor(readonly original: unknown) {
    super(messageOf(original));
  }
}

/** A read that waited too long for another transaction's lock (see SpannerStore.#transact). */
export class Stuck extends Error {}

/** `op`, or a {@link Stuck} error when it has not settled within `ms`. */
export function patiently<T>(op: Promise<T>, ms: number): Promise<T> {
  op.catch(() => undefined); // when abandoned, its later failure is nobody's business
  let timer: NodeJS.Timeout | undefined;
  const stuck = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Stuck(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([op, stuck]).finally(() => clearTimeout(timer));
}

/** Whether a schema change failed because a concurrent creator made the same table first. */
export const isDuplicateTable = (err: unknown): boolean =>
  codeOf(err) === Status.ALREADY_EXISTS || /duplicate name|already exists/i.test(messageOf(err));

export const sleep = (ms: number, signal: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });

/** Waits for `op` to settle, or `ms` at most; never rejects. */
export async function within(op: Promise<unknown>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([op.catch(() => undefined), new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

/** Rejects as soon as `signal` aborts (the Spanner client takes no AbortSignal). */
export function abortable<T>(signal: AbortSignal, what: string, op: Promise<T>): Promise<T> {
  let onAbort = (): void => undefined;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => {
      const reason: unknown = signal.reason;
      reject(
        reason instanceof LockStoreError
          ? reason
          : new LockStoreError('timeout', 'spanner', `${what} aborted`, { cause: reason }),
      );
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
  return Promise.race([op, aborted]).finally(() => signal.removeEventListener('abort', onAbort));
}

/**
 * The row and Spanner's time in one statement. The outer join yields the time even when the
 * row is missing; in a read-write transaction the point lookup still locks the key.
 */
export const readSql = (table: string): string =>
  `SELECT UNIX_MICROS(CURRENT_TIMESTAMP()) AS now_us, l.holder AS holder, l.epoch AS epoch,
     UNIX_MICROS(l.expires_at) AS expires_us
   FROM UNNEST([1]) AS one LEFT JOIN \`${table}\` AS l ON l.name = @name`;

/** The lock table. `updated_at` is the commit timestamp of the last change, for people. */
export const createTableDdl = (table: string): string =>
  `CREATE TABLE \`${table}\` (
     name STRING(MAX) NOT NULL,
     holder STRING(MAX),
     epoch INT64 NOT NULL,
     expires_at TIMESTAMP,
     updated_at TIMESTAMP OPTIONS (allow_commit_timestamp = true)
   ) PRIMARY KEY (name)`;

/** Expiry by Spanner's clock. */
export const EXPIRES = 'TIMESTAMP_ADD(CURRENT_TIMESTAMP(), INTERVAL @ttl MILLISECOND)';

/** The current row and Spanner's time from a result of {@link readSql} (JSON rows). */
export function parseRead(rows: unknown[]): { row: LockRow | undefined; nowUs: number } {
  const [r] = rows;
  if (rows.length !== 1 || typeof r !== 'object' || r === null) {
    throw new LockStoreError('invalid-response', 'spanner', `expected one row, got ${rows.length}`);
  }
  const { now_us: nowUs, holder, epoch, expires_us: expiresUs } = r as Record<string, unknown>;
  if (typeof nowUs !== 'number')
    throw new LockStoreError('invalid-response', 'spanner', 'no CURRENT_TIMESTAMP() in the answer');
  if (epoch === null || epoch === undefined) return { row: undefined, nowUs };
  if (
    typeof epoch !== 'number' ||
    (holder !== null && typeof holder !== 'string') ||
    (expiresUs !== null && typeof expiresUs !== 'number')
  ) {
    throw new LockStoreError('invalid-response', 'spanner', `unexpected lock row ${JSON.stringify(r)}`);
  }
  return { row: { holder, epoch, expiresUs }, nowUs };
}

/** gax settings that bound every Spanner RPC (session creation included) by the call deadline. */
export function clientConfig(timeoutMs: number): Gax.ClientConfig {
  const retried = { timeout_millis: timeoutMs, retry_codes_name: 'bounded', retry_params_name: 'bounded' };
  const once = { timeout_millis: timeoutMs, retry_codes_name: 'none', retry_params_name: 'bounded' };
  return {
    interfaces: {
      'google.spanner.v1.Spanner': {
        retry_codes: { bounded: ['UNAVAILABLE', 'RESOURCE_EXHAUSTED'], none: [] },
        retry_params: {
          bounded: {
            initial_retry_delay_millis: 50,
            retry_delay_multiplier: 1.5,
            max_retry_delay_millis: 1000,
            initial_rpc_timeout_millis: timeoutMs,
            rpc_timeout_multiplier: 1,
            max_rpc_timeout_millis: timeoutMs,
            total_timeout_millis: timeoutMs,
          },
        },
        methods: {
          BatchCreateSessions: retried,
          CreateSession: retried,
          GetSession: retried,
          DeleteSession: retried,
          ExecuteSql: retried,
          BeginTransaction: retried,
          Commit: retried,
          Rollback: retried,
          ExecuteStreamingSql: once,
        },
      },
    },
  };
}
