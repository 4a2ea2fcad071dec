// PostgreSQL's side of the lock: the table's statements (each decision one statement judged by
// now()), row and notification parsing, error classification, and keeping the URL's secrets out
// of every message (pure: no connection here).
import type { LockEvent, LockState, LockStoreErrorCode } from '../lock-store.ts';
import { MASK } from '../../runtime/redact.ts';
import { LockStoreError } from '../lock-store.ts';

/** The table of locks unless the options name another. */
export const DEFAULT_TABLE = 'highlander_locks';

/** The NOTIFY channel of every lock's events; a payload names its lock. */
export const EVENTS_CHANNEL = 'highlander_leader_events';

/** The secrets in `url` (password, raw and decoded), to scrub from any text that reaches a message. */
export function urlSecrets(url: string): string[] {
  const found = new Set<string>();
  try {
    const u = new URL(url);
    found.add(u.password);
    found.add(safeDecode(u.password));
    for (const [key, value] of u.searchParams) if (/pass/i.test(key)) found.add(value);
  } catch {
    // Unparseable: the whole string may hold a password.
    found.add(url);
  }
  found.delete('');
  return [...found].sort((a, b) => b.length - a.length);
}

export function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** `text` with every occurrence of each secret replaced by `***`. */
export function scrub(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const s of secrets) out = out.split(s).join(MASK);
  return out;
}

/** Checks a table name (`name` or `schema.name`, unquoted lower-case identifiers). */
export function checkTableName(table: string): string {
  if (!/^[a-z_][a-z0-9_]{0,62}(\.[a-z_][a-z0-9_]{0,62})?$/.test(table)) {
    throw new LockStoreError('config', 'db', `table "${table}" is not a lower-case identifier (name or schema.name)`);
  }
  return table;
}

/** The LockStoreError code for a failed PostgreSQL call (by SQLSTATE, or the Node error code). */
export function classifyPgError(err: unknown): LockStoreErrorCode {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code !== 'string') return 'unavailable';
  if (code === 'ERR_INVALID_URL') return 'config';
  if (!/^[0-9A-Z]{5}$/.test(code)) return 'unavailable'; // ECONNREFUSED and the like
  if (code === '57014') return 'timeout'; // statement_timeout
  if (code === '42P01') return 'unavailable'; // the table was dropped: the next call creates it
  const cls = code.slice(0, 2);
  // Connection, resources, operator intervention, serialization, locks, read-only standby.
  if (['08', '53', '57', '40', '55', '25', '58'].includes(cls)) return 'unavailable';
  // Bad credentials, unknown database, missing privileges: fixing them takes a person.
  if (['28', '3D', '42'].includes(cls)) return 'config';
  return 'invalid-response';
}

/** A lock event from a NOTIFY payload, if it is about `lockName`; undefined otherwise. */
export function parseNotification(payload: string, lockName: string): LockEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(payload);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { type, lock, holder, epoch, clean } = v as Record<string, unknown>;
  if (lock !== lockName || typeof epoch !== 'number' || !Number.isSafeInteger(epoch)) return undefined;
  if (type === 'released') return clean === true ? { type, epoch, clean } : { type, epoch };
  if (type === 'acquired' && typeof holder === 'string') return { type, holder, epoch };
  return undefined;
}

/** A lock row as the queries return it: epoch as text (bigint), time left by the server's now(). */
export interface LockRow {
  holder: string | null;
  epoch: string;
  remaining_ms: number | null;
}

/** The lock state from its row (undefined: never taken). An expired hold reads as free. */
export function stateFromRow(row: LockRow | undefined): LockState {
  if (!row) return { holder: null, epoch: 0, remainingMs: 0 };
  const epoch = toEpoch(row.epoch);
  const remaining = Math.floor(row.remaining_ms ?? 0);
  if (row.holder === null || remaining <= 0) return { holder: null, epoch, remainingMs: 0 };
  return { holder: row.holder, epoch, remainingMs: remaining };
}

export function toEpoch(v: unknown): number {
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : typeof v === 'number' ? v : NaN;
  if (!Number.isSafeInteger(n))
    throw new LockStoreError('invalid-response', 'db', `epoch ${JSON.stringify(v)} is not an integer`);
  return n;
}

/** Checks call arguments before they reach SQL. */
export function checkArgs(holder: string, epoch?: number, ttlMs?: number): void {
  if (holder === '') throw new LockStoreError('config', 'db', 'holder must not be empty');
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 1)) {
    throw new LockStoreError('config', 'db', `epoch ${epoch} is not a positive integer`);
  }
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) {
    throw new LockStoreError('config', 'db', `ttlMs ${ttlMs} is not a positive whole number of milliseconds`);
  }
}

/** Time left on a hold the server set to `serverMs`, counted from when the call was sent. */
export function held(serverMs: number, sentAt: number): number {
  return Math.max(0, Math.floor(serverMs - (performance.now() - sentAt)));
}

/** SQLSTATEs of a CREATE TABLE IF NOT EXISTS that lost a race with another creator. */
export const CREATE_RACE_CODES = ['42P07', '42710', '23505'];

export const REMAINING = (alias: string): string =>
  `(extract(epoch FROM (${alias}.expires_at - now())) * 1000)::float8 AS remaining_ms`;

/** The statements, for one table. */
export function statements(
  table: string,
): Record<'exists' | 'create' | 'read' | 'acquire' | 'renew' | 'raise' | 'release', string> {
  const notify = (json: string): string => `pg_notify('${EVENTS_CHANNEL}', ${json}::text)`;
  return {
    exists: `SELECT to_regclass($1) IS NOT NULL AS found`,
    create: `CREATE TABLE IF NOT EXISTS ${table} (
      name text PRIMARY KEY,
      holder text NULL,
      epoch bigint NOT NULL,
      expires_at timestamptz NULL)`,
    read: `SELECT l.holder, l.epoch::text AS epoch, ${REMAINING('l')} FROM ${table} l WHERE l.name = $1`,
    // $1 name, $2 holder, $3 ttlMs. Grants when free, expired or ours; otherwise the second
    // branch reports the row as this statement's snapshot saw it.
    acquire: `WITH granted AS MATERIALIZED (
        INSERT INTO ${table} AS l (name, holder, epoch, expires_at)
        VALUES ($1, $2, 1, now() + make_interval(secs => $3::float8 / 1000))
        ON CONFLICT (name) DO UPDATE
          SET holder = EXCLUDED.holder, epoch = l.epoch + 1, expires_at = EXCLUDED.expires_at
          WHERE l.holder IS NULL OR l.expires_at IS NULL OR l.expires_at <= now() OR l.holder = EXCLUDED.holder
        RETURNING l.epoch, l.expires_at
      ), notified AS MATERIALIZED (
        SELECT g.epoch, g.expires_at,
          ${notify(`json_build_object('type', 'acquired', 'lock', $1::text, 'holder', $2::text, 'epoch', g.epoch)`)}
        FROM granted g
      )
      SELECT true AS acquired, $2::text AS holder, n.epoch::text AS epoch, ${REMAINING('n')} FROM notified n
      UNION ALL
      SELECT false, c.holder, c.epoch::text, ${REMAINING('c')} FROM ${table} c
        WHERE c.name = $1 AND NOT EXISTS (SELECT 1 FROM granted)`,
    // $1 name, $2 holder, $3 epoch, $4 ttlMs. An expired hold is not renewed, taken or not.
    renew: `UPDATE ${table} l SET expires_at = now() + make_interval(secs => $4::float8 / 1000)
      WHERE l.name = $1 AND l.holder = $2 AND l.epoch = $3::bigint AND l.expires_at > now()
      RETURNING ${REMAINING('l')}`,
    // $1 name, $2 holder, $3 epoch, $4 ttlMs, $5 minEpoch. The epoch floor: raises our own live
    // hold's epoch (later grants count on from it) and extends it.
    raise: `UPDATE ${table} l SET epoch = GREATEST(l.epoch, $5::bigint),
        expires_at = now() + make_interval(secs => $4::float8 / 1000)
      WHERE l.name = $1 AND l.holder = $2 AND l.epoch = $3::bigint AND l.expires_at > now()
      RETURNING l.epoch::text AS epoch, ${REMAINING('l')}`,
    // $1 name, $2 holder, $3 epoch, $4 clean (the holder vouches none of its writes is pending,
    // passed on in the notification). Frees only our own live hold; the epoch stays.
    release: `WITH released AS MATERIALIZED (
        UPDATE ${table} l SET holder = NULL, expires_at = NULL
        WHERE l.name = $1 AND l.holder = $2 AND l.epoch = $3::bigint AND l.expires_at > now()
        RETURNING l.epoch
      )
      SELECT ${notify(`json_build_object('type', 'released', 'lock', $1::text, 'epoch', r.epoch, 'clean', $4::boolean)`)} FROM released r`,
  };
}
