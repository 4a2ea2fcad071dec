// A lock held in Redis: one hash key `{holder, epoch}` whose TTL is the hold, beside a
// persistent counter that hands out epochs, so epochs keep increasing after the key expired.
// Acquire, renew and release are each one Lua script (atomic, EVALSHA), compare holder AND
// epoch, and never delete another holder's key. Expiry is Redis's own TTL: no client clock
// decides who holds the lock. Acquire and release PUBLISH on the tenant's channel, so
// followers learn of a release at once (keyspace `expired` events are late and lossy).
import { Redis } from 'ioredis';
import type { RedisOptions } from 'ioredis';
import type {
  AcquireResult,
  CallOptions,
  Grant,
  LockEvent,
  LockState,
  LockStore,
  ReleaseOptions,
} from '../lock-store.ts';
import { LockStoreError, withDeadline } from '../lock-store.ts';
import {
  ACQUIRE_LUA,
  DEFAULT_KEY_PREFIX,
  RELEASE_LUA,
  RAISE_LUA,
  RENEW_LUA,
  STATE_LUA,
  acquireFromReply,
  checkArgs,
  invalid,
  classifyRedisError,
  parseAddr,
  parseEvent,
  redisNames,
  stateFromReply,
  toInt,
} from './redis-protocol.ts';
import type { LockScripts, RedisNames } from './redis-protocol.ts';
/** Settings of a {@link RedisStore}. */
export interface RedisStoreOptions {
  /** The server as `host:port` (`[::1]:6379` for IPv6). */
  addr: string;
  /** ACL user (Redis 6+); without it, `password` authenticates the `default` user. */
  username?: string;
  password?: string;
  /** Database index (SELECT). Pub/sub channels are server-wide, whatever the database. */
  db?: number;
  /** Connect with TLS (Node's defaults: the server certificate is verified). */
  tls?: boolean;
  /** The election's tenant: the lock key is `<keyPrefix>lock:<tenant>`. Default `default`. */
  tenant?: string;
  /** Deadline of each call, connecting included. Default 5000. */
  timeoutMs?: number;
  /** Prefix of the lock key, the epoch counter and the channel. Default {@link DEFAULT_KEY_PREFIX}. */
  keyPrefix?: string;
}

/** A lock held in a Redis key. */
export class RedisStore implements LockStore {
  readonly backend = 'redis' as const;
  /** Its release events carry `clean`. */
  readonly announcesCleanRelease = true;
  readonly lockName: string;
  readonly #names: RedisNames;
  readonly #timeoutMs: number;
  readonly #addr: string;
  readonly #client: Redis & LockScripts;
  /** Subscriber connections, one per subscribe(), ended by their stop function or close(). */
  readonly #subscribers = new Set<Redis>();
  /** The latest connection error, named when a call times out waiting for a connection. */
  #lastError: Error | undefined;
  #closed = false;

  constructor(opts: RedisStoreOptions) {
    const { host, port } = parseAddr(opts.addr);
    this.#addr = opts.addr;
    if (opts.tenant === '') throw new LockStoreError('config', 'redis', 'tenant must not be empty');
    this.#names = redisNames(opts.tenant ?? 'default', opts.keyPrefix ?? DEFAULT_KEY_PREFIX);
    this.lockName = this.#names.lock;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    const options: RedisOptions = {
      host,
      port,
      username: opts.username,
      password: opts.password,
      db: opts.db ?? 0,
      tls: opts.tls ? {} : undefined,
      connectionName: 'highlander-lock',
      lazyConnect: true,
      connectTimeout: this.#timeoutMs,
      // Fail fast instead of queueing: a command is sent only on a ready connection, and one
      // that is in flight when the connection drops is rejected, never resent later (a late
      // acquire would grant a lock nobody waits for).
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      autoResendUnfulfilledCommands: false,
      // Keep reconnecting in the background (calls wait for it within their deadline).
      retryStrategy: (times) => Math.min(50 * 2 ** Math.min(times, 5), 1000),
      // disconnect() ends a socket gracefully, then destroys it after this long; a socket
      // that already failed never reports closing, and the 2 s default timer would keep
      // the process alive after close().
      disconnectTimeout: 200,
    };
    const client = new Redis(options);
    client.defineCommand('hlState', { lua: STATE_LUA, numberOfKeys: 2, readOnly: true });
    client.defineCommand('hlAcquire', { lua: ACQUIRE_LUA, numberOfKeys: 2 });
    client.defineCommand('hlRenew', { lua: RENEW_LUA, numberOfKeys: 1 });
    client.defineCommand('hlRelease', { lua: RELEASE_LUA, numberOfKeys: 1 });
    client.defineCommand('hlRaise', { lua: RAISE_LUA, numberOfKeys: 2 });
    this.#client = client as Redis & LockScripts;
    this.#watchErrors(client);
  }

  async read(opts?: CallOptions): Promise<LockState> {
    return this.#call('read', opts, async (c) => stateFromReply(await c.hlState(this.#names.lock, this.#names.epoch)));
  }

  async tryAcquire(holder: string, ttlMs: number, opts?: CallOptions): Promise<AcquireResult> {
    checkArgs(holder, undefined, ttlMs);
    const sentAt = performance.now();
    const r = await this.#call('acquire', opts, async (c) =>
      acquireFromReply(
        await c.hlAcquire(this.#names.lock, this.#names.epoch, holder, String(ttlMs), this.#names.channel),
      ),
    );
    if (!r.acquired) return r;
    return { acquired: true, epoch: r.epoch, remainingMs: held(r.ttlMs, sentAt) };
  }

  async renew(holder: string, epoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null> {
    checkArgs(holder, epoch, ttlMs);
    const sentAt = performance.now();
    const ttl = await this.#call('renew', opts, async (c) =>
      toInt(await c.hlRenew(this.#names.lock, holder, String(epoch), String(ttlMs)), 'renew reply'),
    );
    return ttl < 0 ? null : { epoch, remainingMs: held(ttl, sentAt) };
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
    const reply = await this.#call('raise', opts, (c) =>
      c.hlRaise(this.#names.lock, this.#names.epoch, holder, String(epoch), String(minEpoch), String(ttlMs)),
    );
    if (!Array.isArray(reply) || reply.length !== 2) throw invalid(`unexpected raise reply ${JSON.stringify(reply)}`);
    const raised = toInt(reply[0], 'raised epoch');
    const ttl = toInt(reply[1], 'raise PTTL');
    return raised < 0 || ttl < 0 ? null : { epoch: raised, remainingMs: held(ttl, sentAt) };
  }

  async release(holder: string, epoch: number, opts?: ReleaseOptions): Promise<boolean> {
    checkArgs(holder, epoch);
    const clean = opts?.clean ? '1' : '0';
    const n = await this.#call('release', opts, async (c) =>
      toInt(await c.hlRelease(this.#names.lock, holder, String(epoch), this.#names.channel, clean), 'release reply'),
    );
    return n === 1;
  }

  async subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>> {
    this.#assertOpen();
    // A connection of its own: one in subscriber mode runs nothing else (RESP2). ioredis
    // reconnects it and subscribes again by itself; events during the gap are lost, which
    // hints may be.
    const sub = this.#client.duplicate();
    this.#watchErrors(sub);
    this.#subscribers.add(sub);
    const channel = this.#names.channel;
    sub.on('message', (ch: string, message: string) => {
      if (ch !== channel) return;
      const event = parseEvent(message);
      if (event) listener(event);
    });
    const stop = async (): Promise<void> => {
      this.#subscribers.delete(sub);
      await shutdown(sub);
    };
    try {
      await withDeadline(
        'redis',
        `subscribe ${channel} at ${this.#addr}`,
        this.#timeoutMs,
        undefined,
        async (signal) => {
          await ready(sub, signal);
          await sub.subscribe(channel);
        },
      );
    } catch (err) {
      await stop();
      throw this.#explain(err);
    }
    return stop;
  }

  async close(): Promise<void> {
    this.#closed = true;
    await Promise.all([this.#client, ...this.#subscribers].map(shutdown));
    this.#subscribers.clear();
  }

  /** Runs one call on a ready connection with the store's deadline. */
  async #call<T>(
    what: string,
    opts: CallOptions | undefined,
    op: (client: Redis & LockScripts) => Promise<T>,
  ): Promise<T> {
    this.#assertOpen();
    try {
      return await withDeadline(
        'redis',
        `${what} ${this.lockName} at ${this.#addr}`,
        this.#timeoutMs,
        opts?.signal,
        async (signal) => {
          await ready(this.#client, signal);
          try {
            return await op(this.#client);
          } catch (err) {
            if (err instanceof LockStoreError) throw err;
            const code = classifyRedisError(err);
            if (code === 'unavailable') throw err; // withDeadline wraps it, naming the call
            const msg = err instanceof Error ? err.message : String(err);
            throw new LockStoreError(code, 'redis', `${what} ${this.lockName} at ${this.#addr}: ${msg}`, {
              cause: err,
            });
          }
        },
      );
    } catch (err) {
      throw this.#explain(err);
    }
  }

  /** Turns an authentication failure while connecting into a `config` error; names the last connection error on a timeout. */
  #explain(err: unknown): unknown {
    if (!(err instanceof LockStoreError)) return err;
    const cause: unknown = err.cause;
    if (err.code === 'unavailable' && classifyRedisError(cause) === 'config') {
      return new LockStoreError('config', 'redis', err.message.replace(/^redis lock store: /, ''), { cause });
    }
    if (err.code === 'timeout' && this.#lastError) {
      return new LockStoreError(
        'timeout',
        'redis',
        `${err.message.replace(/^redis lock store: /, '')} (last connection error: ${this.#lastError.message})`,
        { cause: this.#lastError },
      );
    }
    return err;
  }

  #watchErrors(client: Redis): void {
    // Without a listener ioredis prints every failed reconnect. Calls report errors themselves.
    client.on('error', (err: Error) => (this.#lastError = err));
    client.on('ready', () => (this.#lastError = undefined));
  }

  #assertOpen(): void {
    if (this.#closed) throw new LockStoreError('config', 'redis', `store for ${this.lockName} is closed`);
  }
}

/**
 * Time left on a hold Redis just set to `ttlMs`, counted from when the call was sent: the
 * server set the TTL after that, so the hold cannot end sooner by Redis's clock.
 */
function held(ttlMs: number, sentAt: number): number {
  return Math.max(0, Math.floor(ttlMs - (performance.now() - sentAt)));
}

/** Waits until `client` is connected and ready; rejects on its next connection error. */
async function ready(client: Redis, signal: AbortSignal): Promise<void> {
  if (client.status === 'ready') return;
  // A failed connect is reported as an 'error' event below; the promise adds nothing.
  if (client.status === 'wait' || client.status === 'end') client.connect().catch(() => undefined);
  await new Promise<void>((resolve, reject) => {
    const done = (err?: Error): void => {
      client.off('ready', onReady);
      client.off('error', onError);
      signal.removeEventListener('abort', onAbort);
      if (err === undefined) resolve();
      else reject(err);
    };
    const onReady = (): void => done();
    const onError = (err: Error): void => done(err);
    const onAbort = (): void => done(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
    client.on('ready', onReady);
    client.on('error', onError);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** Disconnects `client` and waits (briefly) for its socket to close. */
async function shutdown(client: Redis): Promise<void> {
  // Between attempts there is no socket: stopping the reconnect timer is all it takes.
  if (!['connecting', 'connect', 'ready'].includes(client.status)) {
    client.disconnect();
    return;
  }
  const ended = new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, 1000);
    client.once('end', () => {
      clearTimeout(timer);
      resolve();
    });
  });
  client.disconnect();
  await ended;
}
