// Redis's side of the lock: key names, the Lua scripts that grant, renew and release atomically,
// and the parsing of their replies and of Redis's errors (pure: no connection here).
import type { LockEvent, LockState, LockStoreErrorCode } from '../lock-store.ts';
import { LockStoreError } from '../lock-store.ts';

/** Prefix of every Redis name the store uses (`redis-cli keys "highlander-leader-*"`). */
export const DEFAULT_KEY_PREFIX = 'highlander-leader-';

/** What one tenant's lock uses in Redis. */
export interface RedisNames {
  /** The lock: a hash `{holder, epoch}` that lives as long as the hold (PEXPIRE). */
  lock: string;
  /** The epoch counter, INCRed on every grant; no TTL. */
  epoch: string;
  /** The pub/sub channel of acquire and release events. */
  channel: string;
}

/** The names of `tenant`'s lock, counter and channel. */
export function redisNames(tenant: string, prefix: string = DEFAULT_KEY_PREFIX): RedisNames {
  return { lock: `${prefix}lock:${tenant}`, epoch: `${prefix}epoch:${tenant}`, channel: `${prefix}events:${tenant}` };
}

/** Splits `host:port` (or `[v6]:port`) into its parts; throws a `config` error when malformed. */
export function parseAddr(addr: string): { host: string; port: number } {
  const m = /^(?:\[([^\]]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(addr.trim());
  const port = Number(m?.[3]);
  const host = m?.[1] ?? m?.[2];
  if (!host || !Number.isInteger(port) || port < 1 || port > 65535) {
    throw new LockStoreError('config', 'redis', `addr "${addr}" is not host:port`);
  }
  return { host, port };
}

// Every script answers with strings and integers only: a Lua false becomes a null in RESP2
// but a boolean in RESP3, and a nil would cut a Lua table short.
//
// The state of the lock, as read() and a refused acquire report it:
//   {holder or '', epoch or '', PTTL of the lock (-2 when absent), counter or '0'}.
export const STATE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'epoch')
return {cur[1] or '', cur[2] or '', redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2]) or '0'}`;

// KEYS: lock, counter. ARGV: holder, ttlMs, channel.
// Grants when the key is absent (never taken, released or expired) or held by the same
// holder; every grant takes a new epoch from the counter. Answers {1, epoch, pttl} or
// {0, <state>}.
export const ACQUIRE_LUA = `
if redis.call('EXISTS', KEYS[1]) == 1 and redis.call('HGET', KEYS[1], 'holder') ~= ARGV[1] then
  local cur = redis.call('HMGET', KEYS[1], 'holder', 'epoch')
  return {0, cur[1] or '', cur[2] or '', redis.call('PTTL', KEYS[1]), redis.call('GET', KEYS[2]) or '0'}
end
local epoch = redis.call('INCR', KEYS[2])
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'holder', ARGV[1], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], cjson.encode({type = 'acquired', holder = ARGV[1], epoch = epoch}))
return {1, epoch, redis.call('PTTL', KEYS[1])}`;

// KEYS: lock. ARGV: holder, epoch, ttlMs. An expired key is gone, so it cannot be renewed.
// Answers the new PTTL, or -1 when holder and epoch do not both match.
export const RENEW_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return -1 end
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('PTTL', KEYS[1])`;

// KEYS: lock, counter. ARGV: holder, epoch, minEpoch, ttlMs. The epoch floor: while holder holds
// with epoch, raises the hold's epoch (and the counter, so later grants stay above it) to
// minEpoch, and extends the hold. Answers {epoch, pttl}, or {-1, -1} when not held.
export const RAISE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return {-1, -1} end
local epoch = math.max(tonumber(ARGV[2]), tonumber(ARGV[3]))
if tonumber(redis.call('GET', KEYS[2]) or '0') < epoch then redis.call('SET', KEYS[2], epoch) end
redis.call('HSET', KEYS[1], 'epoch', epoch)
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {epoch, redis.call('PTTL', KEYS[1])}`;

// KEYS: lock. ARGV: holder, epoch, channel, clean ('1' or '0'). Deletes only our own hold;
// answers 1 or 0. The event says whether the holder vouched that none of its writes is pending.
export const RELEASE_LUA = `
local cur = redis.call('HMGET', KEYS[1], 'holder', 'epoch')
if cur[1] ~= ARGV[1] or cur[2] ~= ARGV[2] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('PUBLISH', ARGV[3], cjson.encode({type = 'released', epoch = tonumber(ARGV[2]), clean = ARGV[4] == '1'}))
return 1`;

/** The scripts, as ioredis `defineCommand` adds them to a client. */
export interface LockScripts {
  hlState(lock: string, counter: string): Promise<unknown>;
  hlAcquire(lock: string, counter: string, holder: string, ttlMs: string, channel: string): Promise<unknown>;
  hlRenew(lock: string, holder: string, epoch: string, ttlMs: string): Promise<unknown>;
  hlRelease(lock: string, holder: string, epoch: string, channel: string, clean: '1' | '0'): Promise<unknown>;
  hlRaise(
    lock: string,
    counter: string,
    holder: string,
    epoch: string,
    minEpoch: string,
    ttlMs: string,
  ): Promise<unknown>;
}

export const invalid = (what: string): LockStoreError => new LockStoreError('invalid-response', 'redis', what);

export function toInt(v: unknown, what: string): number {
  const n = typeof v === 'number' ? v : typeof v === 'string' && /^-?\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isSafeInteger(n)) throw invalid(`${what} is not an integer: ${JSON.stringify(v)}`);
  return n;
}

/**
 * The lock state from a state reply `[holder, epoch, pttl, counter]`, with the time left as
 * Redis counted it. An absent key is a free lock whose epoch is the counter's (the latest grant).
 */
export function stateFromReply(reply: unknown): LockState {
  if (!Array.isArray(reply) || reply.length !== 4) throw invalid(`unexpected state reply ${JSON.stringify(reply)}`);
  const [holder, epoch, pttl, counter] = reply as unknown[];
  const ttl = toInt(pttl, 'PTTL');
  if (ttl === -2) return { holder: null, epoch: toInt(counter, 'epoch counter'), remainingMs: 0 };
  // The key exists: it must be ours (a hash with both fields) and must expire.
  if (typeof holder !== 'string' || holder === '') throw invalid('lock key has no holder field');
  const e = toInt(epoch, 'lock epoch');
  if (ttl === -1) throw invalid('lock key has no TTL: it would be held forever');
  if (ttl === 0) return { holder: null, epoch: e, remainingMs: 0 };
  return { holder, epoch: e, remainingMs: ttl };
}

/** An acquire reply: a grant (epoch, PTTL) or the state that refused it. */
export function acquireFromReply(
  reply: unknown,
): { acquired: true; epoch: number; ttlMs: number } | { acquired: false; state: LockState } {
  if (!Array.isArray(reply) || reply.length === 0) throw invalid(`unexpected acquire reply ${JSON.stringify(reply)}`);
  const [flag, ...rest] = reply as unknown[];
  if (flag === 0) return { acquired: false, state: stateFromReply(rest) };
  if (flag !== 1 || rest.length !== 2) throw invalid(`unexpected acquire reply ${JSON.stringify(reply)}`);
  return { acquired: true, epoch: toInt(rest[0], 'granted epoch'), ttlMs: toInt(rest[1], 'PTTL') };
}

/** A lock event from a channel message; undefined for anything else (notifications are hints). */
export function parseEvent(message: string): LockEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(message);
  } catch {
    return undefined;
  }
  if (typeof v !== 'object' || v === null) return undefined;
  const { type, holder, epoch, clean } = v as Record<string, unknown>;
  if (typeof epoch !== 'number' || !Number.isSafeInteger(epoch)) return undefined;
  if (type === 'released') return clean === true ? { type, epoch, clean } : { type, epoch };
  if (type === 'acquired' && typeof holder === 'string') return { type, holder, epoch };
  return undefined;
}

/** The LockStoreError code for a failure of a Redis call. */
export function classifyRedisError(err: unknown): LockStoreErrorCode {
  if (!(err instanceof Error) || err.name !== 'ReplyError') return 'unavailable'; // the connection
  const code = err.message.split(' ', 1)[0] ?? '';
  if (['NOAUTH', 'WRONGPASS', 'NOPERM'].includes(code)) return 'config';
  // The server is starting, failing over, or busy with a slow script: worth another try.
  if (['LOADING', 'BUSY', 'TRYAGAIN', 'CLUSTERDOWN', 'MASTERDOWN', 'READONLY', 'MISCONF', 'OOM'].includes(code)) {
    return 'unavailable';
  }
  return 'invalid-response'; // WRONGTYPE, a script error: the key is not what we wrote
}

/** Checks call arguments before they reach a script (an epoch goes into a JSON message). */
export function checkArgs(holder: string, epoch?: number, ttlMs?: number): void {
  if (holder === '') throw new LockStoreError('config', 'redis', 'holder must not be empty');
  if (epoch !== undefined && (!Number.isSafeInteger(epoch) || epoch < 1)) {
    throw new LockStoreError('config', 'redis', `epoch ${epoch} is not a positive integer`);
  }
  if (ttlMs !== undefined && (!Number.isSafeInteger(ttlMs) || ttlMs < 1)) {
    throw new LockStoreError('config', 'redis', `ttlMs ${ttlMs} is not a positive whole number of milliseconds`);
  }
}
