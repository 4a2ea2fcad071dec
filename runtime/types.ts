// The contracts of the reconcile core: informers feed keys to a workqueue; leader-gated
// workers call a reconciler with the key only (level-based: state is re-read from caches).
import type { KubernetesObject } from '@kubernetes/client-node';
import type { WriteGuard } from './write-guard.ts';

/** "namespace/name" (or "name" for cluster-scoped objects). */
export type ObjectKey = string;

/** The key of an object. */
export function keyOf(obj: KubernetesObject): ObjectKey {
  const ns = obj.metadata?.namespace;
  const name = obj.metadata?.name ?? '';
  return ns ? `${ns}/${name}` : name;
}

/** Splits a key back into namespace (undefined for cluster-scoped) and name. */
export function splitKey(key: ObjectKey): { namespace: string | undefined; name: string } {
  const i = key.indexOf('/');
  return i < 0 ? { namespace: undefined, name: key } : { namespace: key.slice(0, i), name: key.slice(i + 1) };
}

/** Read access to an informer's cache. Objects are shared: never mutate them. */
export interface ObjectCache<T extends KubernetesObject> {
  get(key: ObjectKey): Readonly<T> | undefined;
  list(): readonly Readonly<T>[];
  /** True once the first list has been loaded. */
  hasSynced(): boolean;
}

/** Callbacks for cache changes. `update` receives the previous object too. */
export interface InformerHandlers<T extends KubernetesObject> {
  add?(obj: Readonly<T>): void;
  update?(oldObj: Readonly<T>, newObj: Readonly<T>): void;
  delete?(obj: Readonly<T>): void;
}

/**
 * What one reconcile pass is given: the key, the leader's epoch, a signal that aborts on lost
 * leadership, and the guard every write of the pass goes through.
 */
export interface ReconcileRequest {
  key: ObjectKey;
  epoch: number;
  signal: AbortSignal;
  guard: WriteGuard;
}

/** The outcome of a pass: done, or look again after a while (e.g. to observe progress). */
export interface ReconcileResult {
  requeueAfterMs?: number;
}

/** A controller's reconcile function (controller-runtime's contract). Throwing means: retry with backoff. */
export interface Reconciler {
  readonly name: string;
  reconcile(req: ReconcileRequest): Promise<ReconcileResult>;
}

/** An error that retrying cannot fix (e.g. an invalid spec): logged, not retried until the object changes. */
export class TerminalError extends Error {
  override readonly name = 'TerminalError';
}
