// The settings and counters of an informer (runtime/informer.ts), and the list and watch calls it is given.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Clock } from './clock.ts';
import type { Log } from './logger.ts';
import type { KubeAccess } from './kube-access.ts';

/** What a list call returns; client-node's `V1...List` types fit. */
export interface ListResult<T> {
  items: T[];
  metadata?: { resourceVersion?: string };
}

/** Given to the list function: the watch's label selector, and a signal that aborts on stop() or list timeout. */
export interface ListOptions {
  labelSelector?: string;
  signal: AbortSignal;
}

/** Starts one watch request (runtime/watch-stream.ts); resolves with a handle that ends it. */
export type WatchFn = (
  path: string,
  query: Record<string, string | number | boolean | undefined>,
  onEvent: (type: string, obj: unknown) => void,
  onDone: (err: unknown) => void,
) => Promise<{ abort(): void }>;

/** Settings of an {@link Informer}. */
export interface InformerOptions<T extends KubernetesObject> {
  kubeConfig: KubeAccess;
  /** Collection path to watch, e.g. `/api/v1/pods` or `/apis/highlander.plexobject.io/v1/workloadprocesses`. */
  path: string;
  /** Lists the same collection; it should apply `labelSelector` and may honour `signal`. */
  list: (opts: ListOptions) => Promise<ListResult<T>>;
  labelSelector?: string;
  /** Names the informer in logs and metrics. */
  name: string;
  clock?: Clock;
  log?: Log;
  /** Range of the random server-side watch timeout, in seconds (default [300, 600], as client-go). */
  watchTimeoutSeconds?: readonly [number, number];
  /** How long past its server-side timeout a silent watch is given before it counts as stalled (default 60 s). */
  stallMarginMs?: number;
  /** A list that has not answered by then is abandoned and retried (default 60 s). */
  listTimeoutMs?: number;
  /** Random number in [0, 1) for timeouts and jitter (injected in tests). */
  random?: () => number;
  /**
   * Trims each object before it is cached (e.g. drops managedFields), as client-go's
   * transform functions do: a cache holds thousands of objects.
   */
  transform?: (obj: T) => T;
  /** Replaces the watch request (tests). */
  watch?: WatchFn;
}

/** Counters of an informer's trouble, for tests and metrics. */
export interface InformerStats {
  /** Watch requests started. */
  watches: number;
  /** Successful lists after the first (410 Gone). */
  relists: number;
  /** Retries after a failure: a failed list or watch, or a stall. */
  restarts: number;
  /** Watches aborted by the watchdog. */
  stalls: number;
  /** The last failure, if any. */
  lastError: unknown;
}
