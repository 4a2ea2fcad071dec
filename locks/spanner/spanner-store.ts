// A lock held in one row of a Cloud Spanner table. Acquire, renew and release are each a
// read-write transaction that reads the row together with Spanner's CURRENT_TIMESTAMP(),
// decides with the pure functions below, and writes the expiry as
// TIMESTAMP_ADD(CURRENT_TIMESTAMP(), …) in DML: expiry is judged by Spanner's clock alone, never
// by this machine's. read() is a strong single-use read (it sees every committed change and
// takes no locks). Spanner has no notifications: subscribers poll read().
import type { EventEmitter } from 'node:events';
import { Spanner } from '@google-cloud/spanner';
import type { Database, SpannerOptions, Transaction } from '@google-cloud/spanner';
import type * as Gax from 'google-gax';
import type { AcquireResult, CallOptions, Grant, LockEvent, LockState, LockStore } from '../lock-store.ts';
import { LockStoreError, withDeadline } from '../lock-store.ts';
import {
  DEFAULT_TABLE,
  EXPIRES,
  Retry,
  Status,
  Stuck,
  abortable,
  clientConfig,
  codeOf,
  createTableDdl,
  decideAcquire,
  gax,
  holds,
  isDuplicateTable,
  lockNameFor,
  lockState,
  parseRead,
  patiently,
  pollEvents,
  readSql,
  sleep,
  toLockStoreError,
  within,
} from './spanner-rows.ts';
import type { LockRow } from './spanner-rows.ts';
/** Settings of a {@link SpannerStore}. */
export interface SpannerStoreOptions {
  projectID: string;
  instanceID: string;
  databaseID: string;
  /** The election this store's lock belongs to (default `default`). */
  tenant?: string;
  /** Deadline of each call, in milliseconds (default 5000); also the gRPC deadline. */
  timeoutMs?: number;
  /** The lock table (default `highlander_locks`). */
  table?: string;
  /** How often subscribers poll, in milliseconds (default 250). */
  pollIntervalMs?: number;
  /**
   * `host:port` of a Spanner emulator, reached in plaintext without credentials. Note that the
   * client library lets the SPANNER_EMULATOR_HOST environment variable override this.
   */
  emulatorHost?: string;
}

/** A lock held in a Cloud Spanner row. */
export class SpannerStore implements LockStore {
  readonly backend = 'spanner' as const;
  readonly lockName: string;
  readonly #spanner: Spanner;
  readonly #db: Database;
  readonly #table: string;
  readonly #timeoutMs: number;
  readonly #pollMs: number;
  /** How long a statement may wait for another transaction's lock before starting over. */
  readonly #lockWaitMs: number;
  /** Set once the table is known to exist; cleared when finding out failed. */
  #tableReady: Promise<void> | undefined;
  readonly #subscriptions = new Set<() => Promise<void>>();
  /** Calls under way (possibly past their deadline), which close() lets finish. */
  readonly #inflight = new Set<Promise<unknown>>();
  /** Aborted by close(). */
  readonly #closed = new AbortController();
  #closing: Promise<void> | undefined;

  constructor(opts: SpannerStoreOptions) {
    this.lockName = lockNameFor(opts.tenant ?? 'default');
    this.#table = opts.table ?? DEFAULT_TABLE;
    if (!/^[A-Za-z][A-Za-z0-9_]{0,127}$/.test(this.#table)) {
      throw new LockStoreError('config', 'spanner', `invalid table name ${JSON.stringify(this.#table)}`);
    }
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    this.#pollMs = opts.pollIntervalMs ?? 250;
    // Long enough that a busy server's ordinary answer is not taken for a lock wait.
    this.#lockWaitMs = Math.min(500, Math.max(250, this.#timeoutMs / 4));
    const options: SpannerOptions & { clientConfig: Gax.ClientConfig } = {
      projectId: opts.projectID,
      // Client-side metrics would export to Cloud Monitoring on a timer of their own.
      disableBuiltInMetrics: true,
      clientConfig: clientConfig(this.#timeoutMs),
    };
    if (opts.emulatorHost !== undefined) {
      const m = /^([^\s:/]+):(\d{1,5})$/.exec(opts.emulatorHost);
      const port = Number(m?.[2]);
      if (!m?.[1] || !(port >= 1 && port <= 65535)) {
        throw new LockStoreError(
          'config',
          'spanner',
          `emulatorHost must be host:port, got ${JSON.stringify(opts.emulatorHost)}`,
        );
      }
      options.servicePath = m[1];
      options.port = port;
      options.sslCreds = gax.grpc.credentials.createInsecure();
      // Known up front, so the auth library does not probe a GCE metadata server for it.
      options.universeDomain = 'googleapis.com';
    }
    this.#spanner = new Spanner(options);
    // One call at a time per candidate, plus a poller: a couple of sessions is plenty (the
    // default pool keeps 25). Waiting for a session is bounded like everything else.
    this.#db = this.#spanner
      .instance(opts.instanceID)
      .database(opts.databaseID, { min: 1, max: 10, incStep: 1, acquireTimeout: this.#timeoutMs });
    // The pool reports background failures (creating sessions on a dead endpoint) as 'error'
    // events, which would crash the process unheard. The calls report their own failures.
    // (Database is an EventEmitter; its typings lose that through an untyped base class.)
    (this.#db as unknown as EventEmitter).on('error', () => undefined);
  }

  async read(opts?: CallOptions): Promise<LockState> {
    // A strong single-use read: it sees every committed grant, takes no locks, so polling
    // subscribers never hold up or abort the candidates' transactions.
    return this.#call('read', opts, async () => {
      const [rows] = await this.#db.run({ sql: readSql(this.#table), params: { name: this.lockName }, json: true });
      const { row, nowUs } = parseRead(rows);
      return lockState(row, nowUs);
    });
  }

  async tryAcquire(holder: string, ttlMs: number, opts?: CallOptions): Promise<AcquireResult> {
    const ttl = this.#ttl(ttlMs);
    const r = await this.#transact('acquire', opts, async (tx, row, nowUs) => {
      const decision = decideAcquire(row, nowUs, holder);
      if (!decision.grant) return decision;
      const sentAt = performance.now();
      const sql = decision.insert
        ? `INSERT INTO \`${this.#table}\` (name, holder, epoch, expires_at, updated_at)
           VALUES (@name, @holder, @epoch, ${EXPIRES}, PENDING_COMMIT_TIMESTAMP())`
        : `UPDATE \`${this.#table}\` SET holder = @holder, epoch = @epoch, expires_at = ${EXPIRES},
             updated_at = PENDING_COMMIT_TIMESTAMP()
           WHERE name = @name AND epoch = @oldEpoch`;
      const params = { name: this.lockName, holder, epoch: decision.epoch, oldEpoch: row?.epoch ?? 0, ttl };
      await this.#update(tx, sql, params);
      return { ...decision, sentAt };
    });
    if (!r.grant) return { acquired: false, state: r.state };
    return { acquired: true, epoch: r.epoch, remainingMs: this.#left(ttl, r.sentAt) };
  }

  async renew(holder: string, epoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null> {
    const ttl = this.#ttl(ttlMs);
    const sentAt = await this.#transact('renew', opts, async (tx, row, nowUs) => {
      if (!holds(row, nowUs, holder, epoch)) return null;
      const sent = performance.now();
      await this.#update(
        tx,
        `UPDATE \`${this.#table}\` SET expires_at = ${EXPIRES}, updated_at = PENDING_COMMIT_TIMESTAMP()
         WHERE name = @name AND holder = @holder AND epoch = @epoch`,
        { name: this.lockName, holder, epoch, ttl },
      );
      return sent;
    });
    return sentAt === null ? null : { epoch, remainingMs: this.#left(ttl, sentAt) };
  }

  async raiseEpoch(
    holder: string,
    epoch: number,
    minEpoch: number,
    ttlMs: number,
    opts?: CallOptions,
  ): Promise<Grant | null> {
    const ttl = this.#ttl(ttlMs);
    const raised = Math.max(epoch, minEpoch);
    const sentAt = await this.#transact('raise', opts, async (tx, row, nowUs) => {
      if (!holds(row, nowUs, holder, epoch)) return null;
      const sent = performance.now();
      await this.#update(
        tx,
        `UPDATE \`${this.#table}\` SET epoch = @raised, expires_at = ${EXPIRES}, updated_at = PENDING_COMMIT_TIMESTAMP()
         WHERE name = @name AND holder = @holder AND epoch = @epoch`,
        { name: this.lockName, holder, epoch, raised, ttl },
      );
      return sent;
    });
    return sentAt === null ? null : { epoch: raised, remainingMs: this.#left(ttl, sentAt) };
  }

  async release(holder: string, epoch: number, opts?: CallOptions): Promise<boolean> {
    // An expired hold is not released (false): it is already free, and perhaps someone else's.
    return this.#transact('release', opts, async (tx, row, nowUs) => {
      if (!holds(row, nowUs, holder, epoch)) return false;
      await this.#update(
        tx,
        `UPDATE \`${this.#table}\` SET holder = NULL, expires_at = NULL, updated_at = PENDING_COMMIT_TIMESTAMP()
         WHERE name = @name AND holder = @holder AND epoch = @epoch`,
        { name: this.lockName, holder, epoch },
      );
      return true;
    });
  }

  async subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>> {
    if (this.#closing) throw new LockStoreError('config', 'spanner', `subscribe ${this.lockName}: the store is closed`);
    let stopped = false;
    let timer: NodeJS.Timeout | undefined;
    let polling: Promise<void> = Promise.resolve();
    let last: LockState | undefined;
    const poll = async (): Promise<void> => {
      let state: LockState;
      try {
        state = await this.read();
      } catch {
        return; // a missed poll; the next one compares against the last state seen
      }
      if (stopped) return;
      const events = pollEvents(last, state);
      last = state;
      for (const e of events) {
        try {
          listener(e);
        } catch {
          // A throwing listener must not end the polling.
        }
      }
    };
    const schedule = (): void => {
      if (stopped) return;
      timer = setTimeout(() => {
        polling = poll().then(schedule);
      }, this.#pollMs);
    };
    // The first read is the baseline: what is already so is not news.
    try {
      last = await this.read();
    } catch {
      // Unknown baseline: the first good poll reports a holder as acquired.
    }
    schedule();
    const stop = async (): Promise<void> => {
      stopped = true;
      clearTimeout(timer);
      this.#subscriptions.delete(stop);
      await polling;
    };
    this.#subscriptions.add(stop);
    return stop;
  }

  async close(): Promise<void> {
    this.#closing ??= (async () => {
      // Calls still running give up now (they reject as timed out), pollers stop.
      this.#closed.abort(new LockStoreError('unavailable', 'spanner', `${this.lockName}: the store was closed`));
      await Promise.allSettled([...this.#subscriptions].map((stop) => stop()));
      // What they have on the wire finishes within its gRPC deadline; waiting for it lets the
      // pool give its sessions back. Then closing the pool deletes the sessions on the server,
      // and closing the client ends every channel. All bounded: a dead endpoint answers nothing.
      await within(Promise.allSettled(this.#inflight), this.#timeoutMs);
      await within(this.#db.close(), this.#timeoutMs);
      await this.#spanner.close().catch(() => undefined);
    })();
    return this.#closing;
  }

  /** A ttl Spanner takes: a positive whole number of milliseconds. */
  #ttl(ttlMs: number): number {
    if (!Number.isFinite(ttlMs) || ttlMs <= 0) throw new LockStoreError('config', 'spanner', `invalid ttl ${ttlMs} ms`);
    return Math.max(1, Math.round(ttlMs));
  }

  /**
   * Time left on a hold written with `ttl` by a statement sent at `sentAt` (monotonic ms):
   * Spanner took its CURRENT_TIMESTAMP() after we sent it, so this errs on the short side.
   */
  #left(ttl: number, sentAt: number): number {
    return Math.max(0, Math.floor(ttl - (performance.now() - sentAt)));
  }

  /** A DML statement that must change exactly the lock's row. */
  async #update(tx: Transaction, sql: string, params: Record<string, string | number>): Promise<void> {
    const [count] = await patiently(tx.runUpdate({ sql, params }), this.#lockWaitMs);
    if (count !== 1)
      throw new LockStoreError('invalid-response', 'spanner', `expected to change 1 row, changed ${count}`);
  }

  /**
   * Runs `body` in a read-write transaction with the row and Spanner's time, then commits.
   * Contention is retried here, with short jittered waits, until the deadline:
   * - ABORTED: the client's own retry would wait 2–3 s before trying again, longer than a call;
   * - a statement stuck behind another transaction's lock for longer than #lockWaitMs: rolled
   *   back and tried afresh. Spanner's lock waits are short, but the emulator (one read-write
   *   transaction at a time) wakes a waiter only 1–3 s after the holder finished, or up to ~7 s
   *   later when the waiter was itself aborted; a fresh transaction goes at once.
   * The transaction is begun explicitly so that its id is known before the first read: a
   * stuck attempt can then be rolled back, and the client never starts one of its own behind
   * our back (it does after a failed first read with an inline begin).
   */
  #transact<T>(
    what: string,
    opts: CallOptions | undefined,
    body: (tx: Transaction, row: LockRow | undefined, nowUs: number) => Promise<T>,
  ): Promise<T> {
    return this.#call(what, opts, async (signal) => {
      for (let attempt = 0; ; attempt += 1) {
        try {
          return await this.#db.runTransactionAsync(async (tx) => {
            let begun = false;
            try {
              await tx.begin();
              begun = true;
              const read = tx.run({ sql: readSql(this.#table), params: { name: this.lockName }, json: true });
              const [rows] = await patiently(read, this.#lockWaitMs);
              const { row, nowUs } = parseRead(rows);
              signal.throwIfAborted();
              const result = await body(tx, row, nowUs);
              signal.throwIfAborted();
              await tx.commit();
              return result;
            } catch (err) {
              if (codeOf(err) === Status.ABORTED) throw new Retry(err); // already over on the server
              // Free the lock now rather than when the transaction times out on the server. Not
              // waiting long: the emulator may answer a rollback only once the stuck read ends.
              if (begun) await within(tx.rollback(), this.#lockWaitMs);
              if (err instanceof Stuck || codeOf(err) === Status.ALREADY_EXISTS) throw new Retry(err);
              throw err;
            }
          });
        } catch (err) {
          if (!(err instanceof Retry)) throw err;
          if (signal.aborted) throw err.original;
          await sleep(Math.min(100, 5 * 2 ** attempt) * (0.5 + Math.random()), signal);
        }
      }
    });
  }

  #call<T>(what: string, opts: CallOptions | undefined, op: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const label = `${what} ${this.lockName}`;
    if (this.#closing) return Promise.reject(new LockStoreError('config', 'spanner', `${label}: the store is closed`));
    const callerSignal = opts?.signal ? AbortSignal.any([opts.signal, this.#closed.signal]) : this.#closed.signal;
    return withDeadline('spanner', label, this.#timeoutMs, callerSignal, (signal) => {
      const work = (async () => {
        try {
          await this.#ensureTable();
          return await op(signal);
        } catch (err) {
          throw toLockStoreError(label, err);
        }
      })();
      this.#inflight.add(work);
      const forget = (): void => void this.#inflight.delete(work);
      void work.then(forget, forget);
      return abortable(signal, label, work);
    });
  }

  /** Creates the table once when missing; a concurrent creator winning is as good. */
  #ensureTable(): Promise<void> {
    this.#tableReady ??= this.#createTable().catch((err: unknown) => {
      this.#tableReady = undefined;
      throw err;
    });
    return this.#tableReady;
  }

  async #createTable(): Promise<void> {
    const giveUpAt = performance.now() + this.#timeoutMs;
    for (let attempt = 0; ; attempt += 1) {
      if (await this.#tableExists()) return;
      try {
        const [operation] = await this.#db.updateSchema([createTableDdl(this.#table)], { timeout: this.#timeoutMs });
        await operation.promise();
        return;
      } catch (err) {
        if (isDuplicateTable(err)) return;
        // The emulator turns a schema change away while another one, or any read-write
        // transaction, is under way (another store creating the table, say): look again.
        if (codeOf(err) !== Status.FAILED_PRECONDITION || performance.now() > giveUpAt) throw err;
      }
      await new Promise((r) => setTimeout(r, Math.min(200, 20 * 2 ** attempt) * (0.5 + Math.random())));
    }
  }

  async #tableExists(): Promise<boolean> {
    const [rows] = await this.#db.run({
      sql: `SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_schema = '' AND table_name = @table`,
      params: { table: this.#table },
      json: true,
    });
    const [found] = rows as Array<{ n?: unknown }>;
    return typeof found?.n === 'number' && found.n > 0;
  }
}
