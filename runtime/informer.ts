// An informer of our own: list, then watch from the list's resourceVersion, forever.
//
// client-node's ListWatch is not enough for an operator that must keep running: after any error
// other than 410 it emits 'error' and stays stopped, it asks for neither bookmarks nor a server-side
// timeout (so a connection that dies silently hangs forever), and its update callback gets no old
// object. This one follows client-go's reflector instead: watches with bookmarks and a random
// server-side timeout, resumes from the last resourceVersion when a watch ends, re-lists on
// 410 Gone, retries everything else with jittered backoff, and a watchdog restarts a watch that
// has gone silent for longer than the server could have kept it open.
import type { KubernetesObject } from '@kubernetes/client-node';
import { watchStream } from './watch-stream.ts';
import type { Clock, TimerHandle } from './clock.ts';
import { sleep, systemClock } from './clock.ts';
import type { InformerHandlers, ObjectCache, ObjectKey } from './types.ts';
import { keyOf } from './types.ts';
import { backoffMs, pickWatchTimeout } from './backoff.ts';
import { diffList } from './list-diff.ts';
import type { Log } from './logger.ts';
import { untilAborted } from './abort.ts';
import type { InformerOptions, InformerStats, ListOptions, ListResult, WatchFn } from './informer-options.ts';

/** How one watch request ended. */
interface WatchOutcome {
  end: 'ended' | 'gone' | 'stalled' | 'error' | 'stopped';
  /** Objects and bookmarks received: any means the connection made progress. */
  events: number;
  ms: number;
  error?: unknown;
}

/** The shortest normal watch end that is believed: a server that closes at once is failing (client-go's "very short watch"). */
const SHORT_WATCH_MS = 1000;

/** The default logger: warnings to stderr, the rest dropped. */
const stderrLog: Log = {
  warn: (obj, msg) => console.warn(msg, obj),
  info: () => undefined,
  debug: () => undefined,
  error: (obj, msg) => console.error(msg, obj),
};

/**
 * A list+watch cache of one collection that never stays stopped. Cached objects are shared with
 * every handler and caller, not copied or frozen (too costly): never mutate them.
 */
export class Informer<T extends KubernetesObject> implements ObjectCache<T> {
  readonly name: string;
  readonly #path: string;
  readonly #transform: ((obj: T) => T) | undefined;
  readonly #listFn: (opts: ListOptions) => Promise<ListResult<T>>;
  readonly #labelSelector: string | undefined;
  readonly #clock: Clock;
  readonly #log: Log;
  readonly #timeoutRange: readonly [number, number];
  readonly #stallMarginMs: number;
  readonly #listTimeoutMs: number;
  readonly #random: () => number;
  readonly #watchFn: WatchFn;

  #cache = new Map<ObjectKey, T>();
  readonly #handlers = new Set<InformerHandlers<T>>();
  #synced = false;
  #syncWaiters: ((synced: boolean) => void)[] = [];
  #resourceVersion: string | undefined;
  #lists = 0;
  readonly #stats: InformerStats = { watches: 0, relists: 0, restarts: 0, stalls: 0, lastError: undefined };
  #stop: AbortController | undefined;
  #loop: Promise<void> | undefined;

  constructor(opts: InformerOptions<T>) {
    this.name = opts.name;
    this.#path = opts.path;
    this.#transform = opts.transform;
    this.#listFn = opts.list;
    this.#labelSelector = opts.labelSelector;
    this.#clock = opts.clock ?? systemClock;
    this.#log = opts.log ?? stderrLog;
    this.#timeoutRange = opts.watchTimeoutSeconds ?? [300, 600];
    this.#stallMarginMs = opts.stallMarginMs ?? 60_000;
    this.#listTimeoutMs = opts.listTimeoutMs ?? 60_000;
    this.#random = opts.random ?? Math.random;
    const access = opts.kubeConfig;
    this.#watchFn = opts.watch ?? ((path, query, onEvent, onDone) => watchStream(access, path, query, onEvent, onDone));
    const [min, max] = this.#timeoutRange;
    const rules: [boolean, string][] = [
      [opts.name !== '', 'name must not be empty'],
      [opts.path.startsWith('/'), `path (${opts.path}) must start with /`],
      [
        Number.isInteger(min) && min >= 1,
        `watchTimeoutSeconds[0] (${min}) must be a whole number of seconds, at least 1`,
      ],
      [
        Number.isInteger(max) && max >= min,
        `watchTimeoutSeconds[1] (${max}) must be a whole number, at least watchTimeoutSeconds[0] (${min})`,
      ],
      [this.#stallMarginMs >= 0, `stallMarginMs (${this.#stallMarginMs}) must not be negative`],
      [this.#listTimeoutMs > 0, `listTimeoutMs (${this.#listTimeoutMs}) must be positive`],
    ];
    const broken = rules.find(([ok]) => !ok);
    if (broken) throw new RangeError(`informer ${opts.name}: ${broken[1]}`);
  }

  /** Starts listing and watching in the background; an informer runs once. */
  start(): void {
    if (this.#stop) throw new Error(`informer ${this.name}: already started`);
    this.#stop = new AbortController();
    this.#loop = this.#run(this.#stop.signal);
  }

  /** Stops watching and waits until the background loop has ended; the cache keeps its contents. */
  async stop(): Promise<void> {
    this.#stop?.abort();
    for (const waiter of this.#syncWaiters.splice(0)) waiter(false);
    await this.#loop;
  }

  /** True once the first list has been loaded and handed to the handlers. */
  hasSynced(): boolean {
    return this.#synced;
  }

  /** Resolves true once synced, or false if `signal` aborts or the informer stops first. */
  waitForSync(signal?: AbortSignal): Promise<boolean> {
    if (this.#synced) return Promise.resolve(true);
    if (signal?.aborted || this.#stop?.signal.aborted) return Promise.resolve(false);
    return new Promise((resolve) => {
      const waiter = (synced: boolean): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve(synced);
      };
      const onAbort = (): void => {
        this.#syncWaiters = this.#syncWaiters.filter((w) => w !== waiter);
        resolve(false);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#syncWaiters.push(waiter);
    });
  }

  /** The cached object with `key`, shared: never mutate it. */
  get(key: ObjectKey): Readonly<T> | undefined {
    return this.#cache.get(key);
  }

  /** Every cached object, shared: never mutate them. */
  list(): readonly Readonly<T>[] {
    return [...this.#cache.values()];
  }

  /**
   * Adds a set of handlers, called in order of registration. Objects already cached are replayed
   * to it as adds (as client-go does), so a late handler misses nothing. Returns its removal.
   */
  on(handlers: InformerHandlers<T>): () => void {
    const own = { ...handlers };
    this.#handlers.add(own);
    for (const obj of this.#cache.values()) this.#call('add', () => own.add?.(obj));
    return () => {
      this.#handlers.delete(own);
    };
  }

  /** The resourceVersion the next watch resumes from. */
  lastSyncResourceVersion(): string | undefined {
    return this.#resourceVersion;
  }

  /** A copy of the counters. */
  stats(): InformerStats {
    return { ...this.#stats };
  }

  /**
   * The loop: (1) list when there is nothing to resume from, (2) watch from the last
   * resourceVersion, (3) decide from how the watch ended: resume at once, re-list, or back off.
   * It ends only when stopped; every failure is logged, counted and retried.
   */
  async #run(signal: AbortSignal): Promise<void> {
    let mustList = true;
    let failures = 0;
    while (!signal.aborted) {
      let retryAfterMs = 0;
      if (mustList) {
        try {
          await this.#relist(signal);
          mustList = false;
        } catch (err) {
          if (signal.aborted) return;
          failures += 1;
          retryAfterMs = this.#failed(err, failures, 'list failed');
        }
      } else {
        const w = await this.#watch(signal);
        if (w.end === 'stopped') return;
        if (w.events > 0) failures = 0;
        if (w.end === 'ended' && w.events === 0 && w.ms < Math.min(SHORT_WATCH_MS, this.#timeoutRange[0] * 500)) {
          w.end = 'error';
          w.error = new Error(`very short watch: it ended after ${Math.round(w.ms)} ms without an event`);
        }
        switch (w.end) {
          case 'ended':
            this.#log.debug(
              { informer: this.name, events: w.events, resourceVersion: this.#resourceVersion },
              'watch ended; resuming',
            );
            break;
          case 'gone':
            // The resourceVersion was compacted away: only a list can say what changed. Do it at
            // once, unless the previous attempt failed too (a relist that is at once too old again).
            failures += 1;
            mustList = true;
            this.#log.info(
              { informer: this.name, resourceVersion: this.#resourceVersion },
              'resourceVersion expired (410 Gone); re-listing',
            );
            if (failures > 1)
              retryAfterMs = this.#failed(w.error ?? new Error('410 Gone'), failures - 1, 'watch expired again');
            break;
          case 'stalled':
            this.#stats.stalls += 1;
            failures += 1;
            retryAfterMs = this.#failed(w.error, failures, 'watch stalled; restarting it');
            break;
          case 'error':
            failures += 1;
            retryAfterMs = this.#failed(w.error, failures, 'watch failed');
            break;
        }
      }
      if (retryAfterMs > 0) await sleep(this.#clock, retryAfterMs, signal);
    }
  }

  /** Records and logs a failure; returns how long to wait before the retry. */
  #failed(err: unknown, failures: number, what: string): number {
    const delayMs = backoffMs(failures, this.#random());
    this.#stats.restarts += 1;
    this.#stats.lastError = err;
    this.#log.warn(
      { informer: this.name, path: this.#path, err, failures, retryInMs: Math.round(delayMs) },
      `informer ${this.name}: ${what}`,
    );
    return delayMs;
  }

  /** Lists, replaces the cache, tells the handlers what changed, and marks the informer synced. */
  async #relist(signal: AbortSignal): Promise<void> {
    const listed = await this.#listWithTimeout(signal);
    if (signal.aborted) return;
    const result = this.#transform ? { ...listed, items: listed.items.map(this.#transform) } : listed;
    const diff = diffList(this.#cache, result.items);
    this.#cache = new Map(result.items.map((obj) => [keyOf(obj), obj]));
    this.#resourceVersion = result.metadata?.resourceVersion;
    this.#lists += 1;
    if (this.#lists > 1) this.#stats.relists += 1;
    for (const obj of diff.added) this.#emit('add', (h) => h.add?.(obj));
    for (const [old, obj] of diff.updated) this.#emit('update', (h) => h.update?.(old, obj));
    for (const obj of diff.deleted) this.#emit('delete', (h) => h.delete?.(obj));
    if (!this.#synced) {
      this.#synced = true;
      for (const waiter of this.#syncWaiters.splice(0)) waiter(true);
    }
  }

  /** Calls the list function; abandons it when the informer stops or it takes longer than listTimeoutMs. */
  async #listWithTimeout(signal: AbortSignal): Promise<ListResult<T>> {
    const ctl = new AbortController();
    const onStop = (): void => ctl.abort(new Error(`informer ${this.name}: stopped`));
    signal.addEventListener('abort', onStop, { once: true });
    const timer = this.#clock.setTimeout(
      () => ctl.abort(new Error(`list did not answer within ${this.#listTimeoutMs} ms`)),
      this.#listTimeoutMs,
    );
    try {
      return await untilAborted(this.#listFn({ labelSelector: this.#labelSelector, signal: ctl.signal }), ctl.signal);
    } finally {
      this.#clock.clearTimeout(timer);
      signal.removeEventListener('abort', onStop);
    }
  }

  /**
   * One watch request from the last resourceVersion, guarded by the watchdog. Never rejects:
   * the outcome says how it ended. Callbacks of a watch that has ended are ignored, and a
   * request that connects after its watch was given up is closed at once.
   */
  #watch(signal: AbortSignal): Promise<WatchOutcome> {
    const timeoutSeconds = pickWatchTimeout(this.#timeoutRange, this.#random());
    const silenceMs = timeoutSeconds * 1000 + this.#stallMarginMs;
    const query = {
      allowWatchBookmarks: true,
      timeoutSeconds,
      resourceVersion: this.#resourceVersion,
      labelSelector: this.#labelSelector,
    };
    const stalled = new Error(
      `watch stalled: silent for ${silenceMs} ms, its ${timeoutSeconds} s server-side timeout plus the ${this.#stallMarginMs} ms margin`,
    );
    const startedAt = this.#clock.now();
    this.#stats.watches += 1;
    this.#log.debug({ informer: this.name, resourceVersion: this.#resourceVersion, timeoutSeconds }, 'watch starting');
    return new Promise((resolve) => {
      let settled = false;
      let events = 0;
      let handle: { abort(): void } | undefined;
      let watchdog: TimerHandle | undefined;
      const settle = (end: WatchOutcome['end'], error?: unknown): void => {
        if (settled) return;
        settled = true;
        this.#clock.clearTimeout(watchdog);
        signal.removeEventListener('abort', onStop);
        handle?.abort();
        resolve({ end, events, ms: this.#clock.now() - startedAt, error });
      };
      const arm = (): void => {
        this.#clock.clearTimeout(watchdog);
        watchdog = this.#clock.setTimeout(() => settle('stalled', stalled), silenceMs);
      };
      const onStop = (): void => settle('stopped');
      const onEvent = (type: string, obj: unknown): void => {
        if (settled) return;
        if (type === 'ERROR') {
          const status = (obj ?? {}) as { code?: number; reason?: string; message?: string };
          const err = Object.assign(
            new Error(`watch error event: ${status.code ?? '?'} ${status.reason ?? ''}: ${status.message ?? ''}`),
            { statusCode: status.code },
          );
          settle(status.code === 410 ? 'gone' : 'error', err);
          return;
        }
        events += 1;
        arm();
        this.#apply(type, obj);
      };
      const onDone = (err: unknown): void => {
        if (err === null || err === undefined) settle('ended');
        else settle(statusCodeOf(err) === 410 ? 'gone' : 'error', err);
      };
      signal.addEventListener('abort', onStop, { once: true });
      arm();
      this.#watchFn(this.#path, query, onEvent, onDone).then(
        (h) => {
          if (settled) h.abort();
          else handle = h;
        },
        (err: unknown) => settle('error', err),
      );
    });
  }

  /** Applies one watch event to the cache, then tells the handlers. */
  #apply(type: string, raw: unknown): void {
    if (typeof raw !== 'object' || raw === null) {
      this.#log.warn({ informer: this.name, type }, 'watch event without an object; ignored');
      return;
    }
    // The API server sends objects of the watched collection: this is the boundary where we trust it.
    const obj = this.#transform && type !== 'BOOKMARK' ? this.#transform(raw as T) : (raw as T);
    const rv = obj.metadata?.resourceVersion;
    if (rv) this.#resourceVersion = rv;
    if (type === 'BOOKMARK') return;
    const key = keyOf(obj);
    const old = this.#cache.get(key);
    switch (type) {
      case 'ADDED':
      case 'MODIFIED':
        this.#cache.set(key, obj);
        if (old === undefined) this.#emit('add', (h) => h.add?.(obj));
        else if (old.metadata?.resourceVersion !== rv) this.#emit('update', (h) => h.update?.(old, obj));
        break;
      case 'DELETED':
        this.#cache.delete(key);
        this.#emit('delete', (h) => h.delete?.(obj));
        break;
      default:
        this.#log.warn({ informer: this.name, type, key }, 'unknown watch event type; ignored');
    }
  }

  #emit(what: string, call: (h: InformerHandlers<T>) => void): void {
    for (const h of this.#handlers) this.#call(what, () => call(h));
  }

  /** A throwing handler must not stop the informer nor the other handlers; it is logged. */
  #call(what: string, fn: () => void): void {
    try {
      fn();
    } catch (err) {
      this.#log.warn({ informer: this.name, err }, `informer ${this.name}: ${what} handler threw`);
    }
  }
}

/** The HTTP status of a watch failure (a watch sets `statusCode`; an API error sets `code`). */
function statusCodeOf(err: unknown): number | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const { statusCode, code } = err as { statusCode?: unknown; code?: unknown };
  if (typeof statusCode === 'number') return statusCode;
  return typeof code === 'number' ? code : undefined;
}
