// A lock held in a PostgreSQL row: `name` (the tenant), `holder`, `epoch`, `expires_at`.
// Every call is one statement on any pooled connection (no session state, no advisory locks),
// and expiry is judged only by the server's now(), never by a client clock. Acquire and
// release call pg_notify in the same statement as the change, so followers hear of it when
// it commits; a subscriber keeps a LISTEN connection of its own.
import { Client, Pool } from 'pg';
import type { ClientConfig, PoolConfig } from 'pg';
import type {
  AcquireResult,
  CallOptions,
  Grant,
  LockEvent,
  LockState,
  LockStore,
  ReleaseOptions,
} from '../lock-store.ts';
import { redactUrl } from '../../runtime/redact.ts';
import { LockStoreError, withDeadline } from '../lock-store.ts';
import {
  CREATE_RACE_CODES,
  DEFAULT_TABLE,
  EVENTS_CHANNEL,
  checkArgs,
  checkTableName,
  classifyPgError,
  held,
  parseNotification,
  scrub,
  stateFromRow,
  statements,
  toEpoch,
  urlSecrets,
} from './postgres-sql.ts';
import type { LockRow } from './postgres-sql.ts';
/** Settings of a {@link PostgresStore}. */
export interface PostgresStoreOptions {
  /** `postgres://user:password@host:port/database?sslmode=…`; never logged unredacted. */
  databaseURL: string;
  /** The election's tenant: the lock's row name. Default `default`. */
  tenant?: string;
  /** Deadline of each call, connecting included. Default 5000. */
  timeoutMs?: number;
  /** Table of locks, `name` or `schema.name` in lower case; created when missing. Default {@link DEFAULT_TABLE}. */
  table?: string;
}

/** A lock held in a PostgreSQL table row. */
export class PostgresStore implements LockStore {
  readonly backend = 'db' as const;
  /** Its release events carry `clean`. */
  readonly announcesCleanRelease = true;
  readonly lockName: string;
  readonly #table: string;
  readonly #sql: ReturnType<typeof statements>;
  readonly #timeoutMs: number;
  readonly #url: string;
  /** The URL as messages show it. */
  readonly #where: string;
  readonly #secrets: string[];
  readonly #pool: Pool;
  /** Stop functions of live subscriptions, called by close(). */
  readonly #subscriptions = new Set<() => Promise<void>>();
  /** The table exists (or is being created); reset when a call finds it missing. */
  #tableReady: Promise<void> | undefined;
  #closed = false;

  constructor(opts: PostgresStoreOptions) {
    this.#url = opts.databaseURL;
    this.#where = redactUrl(opts.databaseURL);
    this.#secrets = urlSecrets(opts.databaseURL);
    let protocol = '';
    try {
      protocol = new URL(opts.databaseURL).protocol;
    } catch {
      // reported below
    }
    if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
      // Not echoed: what is not a URL cannot be redacted reliably.
      throw new LockStoreError('config', 'db', 'databaseURL must be a postgres:// or postgresql:// URL');
    }
    this.lockName = opts.tenant ?? 'default';
    if (this.lockName === '') throw new LockStoreError('config', 'db', 'tenant must not be empty');
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#table = checkTableName(opts.table ?? DEFAULT_TABLE);
    this.#sql = statements(this.#table);
    const pool: PoolConfig = {
      ...this.#clientConfig(),
      // The server cancels a statement at the deadline, so no connection stays busy after it.
      statement_timeout: this.#timeoutMs,
      max: 4,
      idleTimeoutMillis: 30_000,
    };
    this.#pool = new Pool(pool);
    // An idle connection that breaks (server restart) is dropped by the pool; the next call
    // opens another and reports its own failure. Without a listener the error would crash us.
    this.#pool.on('error', () => undefined);
  }

  async read(opts?: CallOptions): Promise<LockState> {
    return this.#call('read', opts, async () => {
      const r = await this.#pool.query<LockRow>(this.#sql.read, [this.lockName]);
      return stateFromRow(r.rows[0]);
    });
  }

  async tryAcquire(holder: string, ttlMs: number, opts?: CallOptions): Promise<AcquireResult> {
    checkArgs(holder, undefined, ttlMs);
    const sentAt = performance.now();
    return this.#call('acquire', opts, async (): Promise<AcquireResult> => {
      const r = await this.#pool.query<LockRow & { acquired: boolean }>(this.#sql.acquire, [
        this.lockName,
        holder,
        ttlMs,
      ]);
      const row = r.rows[0];
      if (row?.acquired)
        return { acquired: true, epoch: toEpoch(row.epoch), remainingMs: held(row.remaining_ms ?? 0, sentAt) };
      const state = stateFromRow(row);
      if (state.holder !== null) return { acquired: false, state };
      // The refusal was decided on the newest row, but the statement's snapshot may predate
      // the rival's commit (the row looks free, or is not there yet): read it again.
      const again = await this.#pool.query<LockRow>(this.#sql.read, [this.lockName]);
      return { acquired: false, state: stateFromRow(again.rows[0]) };
    });
  }

  async renew(holder: string, epoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null> {
    checkArgs(holder, epoch, ttlMs);
    const sentAt = performance.now();
    const row = await this.#call('renew', opts, async () => {
      const r = await this.#pool.query<{ remaining_ms: number }>(this.#sql.renew, [
        this.lockName,
        holder,
        epoch,
        ttlMs,
      ]);
      return r.rows[0];
    });
    return row ? { epoch, remainingMs: held(row.remaining_ms, sentAt) } : null;
  }

  async raiseEpoch(
    holder: string,
    epoch: number,
    minEpoch: number,
    ttlMs: number,
    opts?: CallOptions,
  ): Promise<Grant | null> {
    checkArgs(holder, epoch, ttlMs);
    checkArgs(holder, minEpoch);
    const sentAt = performance.now();
    const row = await this.#call('raise', opts, async () => {
      const params = [this.lockName, holder, epoch, ttlMs, minEpoch];
      const r = await this.#pool.query<{ epoch: string; remaining_ms: number }>(this.#sql.raise, params);
      return r.rows[0];
    });
    return row ? { epoch: toEpoch(row.epoch), remainingMs: held(row.remaining_ms, sentAt) } : null;
  }

  async release(holder: string, epoch: number, opts?: ReleaseOptions): Promise<boolean> {
    checkArgs(holder, epoch);
    return this.#call('release', opts, async () => {
      const r = await this.#pool.query(this.#sql.release, [this.lockName, holder, epoch, opts?.clean === true]);
      return r.rowCount === 1;
    });
  }

  async subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>> {
    this.#assertOpen();
    let stopped = false;
    let live = false; // the first LISTEN succeeded: from then on, a dropped connection is redialled
    let current: Client | undefined;
    let timer: NodeJS.Timeout | undefined;
    let retryMs = 100;
    const open = async (): Promise<void> => {
      const client = new Client(this.#clientConfig());
      current = client;
      let down = false;
      const drop = (): void => {
        if (down) return;
        down = true;
        client.end().catch(() => undefined); // already broken: ending it only frees the socket
        if (!live || stopped) return;
        timer = setTimeout(() => void open().catch(() => undefined), retryMs); // a failure drops again
        retryMs = Math.min(retryMs * 2, 5000);
      };
      client.on('error', drop);
      client.on('end', drop);
      client.on('notification', (n) => {
        if (n.channel !== EVENTS_CHANNEL || !n.payload) return;
        const event = parseNotification(n.payload, this.lockName);
        if (event) listener(event);
      });
      try {
        await client.connect();
        await client.query(`LISTEN ${EVENTS_CHANNEL}`);
        retryMs = 100;
      } catch (err) {
        drop();
        throw err;
      }
      if (stopped) await client.end().catch(() => undefined);
    };
    const stop = async (): Promise<void> => {
      stopped = true;
      clearTimeout(timer);
      this.#subscriptions.delete(stop);
      await current?.end().catch(() => undefined);
    };
    this.#subscriptions.add(stop);
    try {
      await this.#deadline('subscribe', undefined, open);
    } catch (err) {
      await stop();
      throw err;
    }
    live = true;
    return stop;
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all([...this.#subscriptions].map((stop) => stop()));
    await this.#pool.end();
  }

  /** Settings shared by the pool and LISTEN connections. */
  #clientConfig(): ClientConfig {
    return {
      connectionString: this.#url,
      connectionTimeoutMillis: this.#timeoutMs,
      query_timeout: this.#timeoutMs,
      keepAlive: true,
      keepAliveInitialDelayMillis: 10_000,
      application_name: 'highlander-lock',
    };
  }

  /** Creates the table once per store (again after a call found it missing). */
  #ensureTable(): Promise<void> {
    this.#tableReady ??= (async () => {
      // Look first: CREATE … IF NOT EXISTS needs the CREATE privilege on the schema even when
      // the table is there, and a locked-down role may only have rights on the table.
      const found = await this.#pool.query<{ found: boolean }>(this.#sql.exists, [this.#table]);
      if (found.rows[0]?.found) return;
      for (let attempt = 1; ; attempt += 1) {
        try {
          await this.#pool.query(this.#sql.create);
          return;
        } catch (err) {
          // Two creators racing: IF NOT EXISTS checks before it writes the catalog, so the
          // loser sees duplicate_table, duplicate_object (the row type) or a unique_violation
          // on pg_type. The winner committed: the next attempt finds the table.
          const code = (err as { code?: unknown }).code;
          if (!CREATE_RACE_CODES.includes(String(code)) || attempt >= 3) throw err;
        }
      }
    })().catch((err: unknown) => {
      this.#tableReady = undefined;
      throw err;
    });
    return this.#tableReady;
  }

  /** Runs one statement (after making sure the table exists) with the store's deadline. */
  #call<T>(what: string, opts: CallOptions | undefined, op: () => Promise<T>): Promise<T> {
    this.#assertOpen();
    return this.#deadline(what, opts, async () => {
      await this.#ensureTable();
      try {
        return await op();
      } catch (err) {
        if ((err as { code?: unknown }).code === '42P01') this.#tableReady = undefined;
        throw err;
      }
    });
  }

  /** withDeadline, with driver errors turned into LockStoreErrors that carry no secret. */
  #deadline<T>(what: string, opts: CallOptions | undefined, op: () => Promise<T>): Promise<T> {
    const call = `${what} ${this.lockName} at ${this.#where}`;
    return withDeadline('db', call, this.#timeoutMs, opts?.signal, async () => {
      try {
        return await op();
      } catch (err) {
        if (err instanceof LockStoreError) throw err;
        const code = classifyPgError(err);
        const msg = scrub(err instanceof Error ? err.message : String(err), this.#secrets);
        throw new LockStoreError(code, 'db', `${call} failed: ${msg}`, { cause: this.#redacted(err) });
      }
    });
  }

  /** A copy of a driver error with no secret in it (a URL error keeps the URL in `input`). */
  #redacted(err: unknown): Error {
    const e = err instanceof Error ? err : new Error(String(err));
    const copy = new Error(scrub(e.message, this.#secrets));
    copy.name = e.name;
    copy.stack = scrub(e.stack ?? '', this.#secrets);
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') Object.assign(copy, { code });
    return copy;
  }

  #assertOpen(): void {
    if (this.#closed) throw new LockStoreError('config', 'db', `store for ${this.lockName} is closed`);
  }
}
