// The default lock store: a coordination.k8s.io/v1 Lease. It needs nothing but the cluster.
// Writes are compare-and-swap on resourceVersion; the epoch is `leaseTransitions`, bumped on
// every grant. Like client-go, expiry is judged by this client's own observation: a hold
// expires `duration` after this process last saw the record change (never by the writer's
// timestamps, which come from another machine's clock).
import { KubeApiError, KubeClient } from '../../runtime/kube-client.ts';
import { watchStream } from '../../runtime/watch-stream.ts';
import type { AcquireResult, CallOptions, Grant, LockEvent, LockState, LockStore } from '../lock-store.ts';
import { LockStoreError, withDeadline } from '../lock-store.ts';
import type { KubeAccess } from '../../runtime/kube-access.ts';

/** Annotation with the hold's duration in milliseconds (leaseDurationSeconds is whole seconds). */
export const DURATION_MS_ANNOTATION = 'highlander.plexobject.io/lease-duration-ms';

/** Settings of a {@link LeaseStore}. */
export interface LeaseStoreOptions {
  kubeConfig: KubeAccess;
  namespace: string;
  /** The Lease's name. */
  lockName: string;
  /** Deadline of each API call. */
  timeoutMs?: number;
  /** Monotonic clock in milliseconds (injected in tests). */
  now?: () => number;
  /** Labels the Lease carries (so an admission policy can find it as a fence). */
  labels?: Record<string, string>;
}

/** A coordination.k8s.io/v1 Lease as the API server sends it (times are RFC 3339 strings). */
export interface V1Lease {
  apiVersion?: string;
  kind?: string;
  metadata?: {
    name?: string;
    namespace?: string;
    resourceVersion?: string;
    labels?: Record<string, string>;
    annotations?: Record<string, string>;
    [field: string]: unknown;
  };
  spec?: {
    holderIdentity?: string;
    leaseDurationSeconds?: number;
    leaseTransitions?: number;
    acquireTime?: string;
    renewTime?: string;
    [field: string]: unknown;
  };
}

/** Now as a Kubernetes MicroTime (RFC 3339 with microseconds). */
const microTime = (): string => new Date().toISOString().replace(/Z$/, '000Z');

/** What this client last saw of the Lease, and when (monotonic ms). */
interface Observation {
  lease: V1Lease;
  at: number;
}

const notFound = (err: unknown): boolean => err instanceof KubeApiError && err.code === 404;
const conflict = (err: unknown): boolean => err instanceof KubeApiError && err.code === 409;

function durationMs(lease: V1Lease): number {
  const annotated = Number(lease.metadata?.annotations?.[DURATION_MS_ANNOTATION]);
  if (Number.isFinite(annotated) && annotated > 0) return annotated;
  return (lease.spec?.leaseDurationSeconds ?? 0) * 1000;
}

/** A lock held in a Kubernetes Lease. */
export class LeaseStore implements LockStore {
  readonly backend = 'kubernetes' as const;
  readonly lockName: string;
  readonly #api: KubeClient;
  readonly #path: string;
  readonly #kc: KubeAccess;
  readonly #ns: string;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #labels: Record<string, string>;
  #seen: Observation | undefined;
  /** When our own latest successful write was sent: our hold counts from then. */
  #heldSince: { epoch: number; at: number; ttlMs: number } | undefined;

  constructor(opts: LeaseStoreOptions) {
    this.#kc = opts.kubeConfig;
    this.#ns = opts.namespace;
    this.lockName = opts.lockName;
    this.#timeoutMs = opts.timeoutMs ?? 5000;
    // The store's own deadline (withDeadline) governs; the client's is only a backstop.
    this.#api = new KubeClient(opts.kubeConfig, { timeoutMs: this.#timeoutMs + 1000 });
    this.#path = `/apis/coordination.k8s.io/v1/namespaces/${encodeURIComponent(opts.namespace)}/leases`;
    this.#now = opts.now ?? (() => performance.now());
    this.#labels = opts.labels ?? {};
  }

  async read(opts?: CallOptions): Promise<LockState> {
    const lease = await this.#get('read', opts);
    return lease ? this.#stateOf(lease) : { holder: null, epoch: 0, remainingMs: 0 };
  }

  async tryAcquire(holder: string, ttlMs: number, opts?: CallOptions): Promise<AcquireResult> {
    const sentAt = this.#now();
    const current = await this.#get('acquire', opts);
    if (!current) {
      const created = await this.#call('acquire', opts, async () => {
        try {
          const body = this.#record(holder, 1, ttlMs);
          return await this.#api.send<V1Lease>({ method: 'POST', path: this.#path, body, ...signalOf(opts) });
        } catch (err) {
          if (conflict(err)) return undefined; // another candidate created it first
          throw err;
        }
      });
      if (!created) return { acquired: false, state: await this.read(opts) };
      return this.#granted(created, sentAt, ttlMs);
    }
    const state = this.#stateOf(current);
    if (state.holder !== null && state.holder !== holder) return { acquired: false, state };
    const epoch = (current.spec?.leaseTransitions ?? 0) + 1;
    const next = this.#record(holder, epoch, ttlMs, current);
    const updated = await this.#replace('acquire', next, opts);
    if (!updated) return { acquired: false, state: await this.read(opts) };
    return this.#granted(updated, sentAt, ttlMs);
  }

  renew(holder: string, epoch: number, ttlMs: number, opts?: CallOptions): Promise<Grant | null> {
    return this.#extend('renew', holder, epoch, epoch, ttlMs, opts);
  }

  raiseEpoch(
    holder: string,
    epoch: number,
    minEpoch: number,
    ttlMs: number,
    opts?: CallOptions,
  ): Promise<Grant | null> {
    return this.#extend('raise', holder, epoch, Math.max(epoch, minEpoch), ttlMs, opts);
  }

  /** Renews the hold of `holder` at `epoch`, writing `nextEpoch` (a raise when larger). */
  async #extend(
    what: string,
    holder: string,
    epoch: number,
    nextEpoch: number,
    ttlMs: number,
    opts?: CallOptions,
  ): Promise<Grant | null> {
    const sentAt = this.#now();
    const held = this.#heldSince;
    // Expired by our own clock: the hold is gone even if the record still names us.
    if (!held || held.epoch !== epoch || sentAt - held.at >= held.ttlMs) return null;
    // Try the write against the version we last wrote; re-read only when that is stale.
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const base = attempt === 0 ? this.#seen?.lease : await this.#get(what, opts);
      if (!base || !this.#isHeldBy(base, holder, epoch)) return null;
      const next = this.#record(holder, nextEpoch, ttlMs, base);
      next.spec!.acquireTime = base.spec?.acquireTime;
      const updated = await this.#replace(what, next, opts);
      if (updated) return this.#granted(updated, sentAt, ttlMs);
    }
    return null;
  }

  async release(holder: string, epoch: number, opts?: CallOptions): Promise<boolean> {
    const held = this.#heldSince;
    // A hold that expired by our own clock is no longer ours to release.
    if (held && held.epoch === epoch && this.#now() - held.at >= held.ttlMs) return false;
    for (let attempt = 0; attempt < 3; attempt += 1) {
      const base = attempt === 0 && this.#seen ? this.#seen.lease : await this.#get('release', opts);
      if (!base || !this.#isHeldBy(base, holder, epoch)) return false;
      const next: V1Lease = {
        ...base,
        spec: { ...base.spec, holderIdentity: undefined, renewTime: microTime(), leaseDurationSeconds: 1 },
      };
      const updated = await this.#replace('release', next, opts);
      if (updated) {
        this.#heldSince = undefined;
        return true;
      }
    }
    return false;
  }

  async subscribe(listener: (event: LockEvent) => void): Promise<() => Promise<void>> {
    let stopped = false;
    let controller: { abort(): void } | undefined;
    let last = this.#seen?.lease;
    let retryMs = 100;
    const onEvent = (phase: string, obj: V1Lease): void => {
      if (phase !== 'ADDED' && phase !== 'MODIFIED') return;
      this.#observe(obj);
      for (const e of leaseEvents(last, obj)) listener(e);
      last = obj;
    };
    const start = async (): Promise<void> => {
      if (stopped) return;
      try {
        controller = await watchStream(
          this.#kc,
          this.#path,
          { fieldSelector: `metadata.name=${this.lockName}`, allowWatchBookmarks: false },
          (phase, obj) => {
            retryMs = 100;
            onEvent(phase, obj as V1Lease);
          },
          // The watch ends on server timeouts and errors alike: start another.
          () => void restart(),
        );
      } catch {
        void restart();
      }
    };
    const restart = async (): Promise<void> => {
      if (stopped) return;
      await new Promise((r) => setTimeout(r, retryMs));
      retryMs = Math.min(retryMs * 2, 5000);
      await start();
    };
    await start();
    return async () => {
      stopped = true;
      controller?.abort();
      await Promise.resolve();
    };
  }

  async close(): Promise<void> {
    this.#api.close();
    await Promise.resolve();
  }

  /** The Lease we would write: `base` (when updating) with our holder, epoch and times. */
  #record(holder: string, epoch: number, ttlMs: number, base?: V1Lease): V1Lease {
    const now = microTime();
    return {
      apiVersion: 'coordination.k8s.io/v1',
      kind: 'Lease',
      metadata: {
        ...(base?.metadata ?? { name: this.lockName, namespace: this.#ns }),
        labels: { ...base?.metadata?.labels, ...this.#labels },
        annotations: { ...base?.metadata?.annotations, [DURATION_MS_ANNOTATION]: String(ttlMs) },
      },
      spec: {
        ...base?.spec,
        holderIdentity: holder,
        leaseDurationSeconds: Math.max(1, Math.ceil(ttlMs / 1000)),
        leaseTransitions: epoch,
        acquireTime: now,
        renewTime: now,
      },
    };
  }

  #granted(lease: V1Lease, sentAt: number, ttlMs: number): AcquireResult & Grant & { acquired: true } {
    this.#seen = { lease, at: sentAt };
    const epoch = lease.spec?.leaseTransitions ?? 0;
    this.#heldSince = { epoch, at: sentAt, ttlMs };
    return { acquired: true, epoch, remainingMs: Math.max(0, sentAt + ttlMs - this.#now()) };
  }

  #isHeldBy(lease: V1Lease, holder: string, epoch: number): boolean {
    return lease.spec?.holderIdentity === holder && (lease.spec?.leaseTransitions ?? 0) === epoch;
  }

  /** Records a sighting: the clock restarts only when the record changed. */
  #observe(lease: V1Lease): Observation {
    const rv = lease.metadata?.resourceVersion;
    if (!this.#seen || this.#seen.lease.metadata?.resourceVersion !== rv) {
      this.#seen = { lease, at: this.#now() };
    }
    return this.#seen;
  }

  #stateOf(lease: V1Lease): LockState {
    const seen = this.#observe(lease);
    const epoch = lease.spec?.leaseTransitions ?? 0;
    const holder = lease.spec?.holderIdentity || null;
    const remainingMs = holder === null ? 0 : Math.max(0, seen.at + durationMs(lease) - this.#now());
    return remainingMs > 0 ? { holder, epoch, remainingMs } : { holder: null, epoch, remainingMs: 0 };
  }

  async #get(what: string, opts?: CallOptions): Promise<V1Lease | undefined> {
    const lease = await this.#call(what, opts, async () => {
      try {
        return await this.#api.send<V1Lease>({ method: 'GET', path: this.#leasePath, ...signalOf(opts) });
      } catch (err) {
        if (notFound(err)) return undefined;
        throw err;
      }
    });
    if (lease) this.#observe(lease);
    return lease;
  }

  /** Compare-and-swap on resourceVersion; undefined when someone else wrote first. */
  async #replace(what: string, lease: V1Lease, opts?: CallOptions): Promise<V1Lease | undefined> {
    return this.#call(what, opts, async () => {
      try {
        return await this.#api.send<V1Lease>({ method: 'PUT', path: this.#leasePath, body: lease, ...signalOf(opts) });
      } catch (err) {
        if (conflict(err) || notFound(err)) return undefined;
        throw err;
      }
    });
  }

  get #leasePath(): string {
    return `${this.#path}/${encodeURIComponent(this.lockName)}`;
  }

  #call<T>(what: string, opts: CallOptions | undefined, op: () => Promise<T>): Promise<T> {
    return withDeadline(
      'kubernetes',
      `${what} ${this.#ns}/${this.lockName}`,
      this.#timeoutMs,
      opts?.signal,
      async () => {
        try {
          return await op();
        } catch (err) {
          if (err instanceof KubeApiError && err.code >= 400 && err.code < 500 && err.code !== 429) {
            throw new LockStoreError('invalid-response', 'kubernetes', `${what}: HTTP ${err.code}: ${err.message}`, {
              cause: err,
            });
          }
          throw err;
        }
      },
    );
  }
}

/** The caller's signal, for the request itself to be aborted with the call. */
function signalOf(opts: CallOptions | undefined): { signal?: AbortSignal } {
  return opts?.signal ? { signal: opts.signal } : {};
}

/** The lock events that a change of the Lease from `before` to `after` amounts to. */
export function leaseEvents(before: V1Lease | undefined, after: V1Lease): LockEvent[] {
  const events: LockEvent[] = [];
  const was = before?.spec?.holderIdentity || null;
  const is = after.spec?.holderIdentity || null;
  const oldEpoch = before?.spec?.leaseTransitions ?? 0;
  const epoch = after.spec?.leaseTransitions ?? 0;
  if (was !== null && is === null) events.push({ type: 'released', epoch: oldEpoch });
  if (is !== null && (was === null || epoch !== oldEpoch)) events.push({ type: 'acquired', holder: is, epoch });
  return events;
}
