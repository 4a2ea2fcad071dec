// What a re-list changed against the cache, so handlers hear of each difference once.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectKey } from './types.ts';
import { keyOf } from './types.ts';

/** How a re-list differs from the cache. */
export interface ListDiff<T> {
  added: T[];
  /** Objects whose resourceVersion changed, as [old, new]. */
  updated: [T, T][];
  /** Cached objects that the list no longer has. */
  deleted: T[];
}

/** Compares a fresh list with the cache; an object whose resourceVersion is unchanged is not an update. */
export function diffList<T extends KubernetesObject>(
  cache: ReadonlyMap<ObjectKey, T>,
  items: readonly T[],
): ListDiff<T> {
  const diff: ListDiff<T> = { added: [], updated: [], deleted: [] };
  const seen = new Set<ObjectKey>();
  for (const obj of items) {
    const key = keyOf(obj);
    seen.add(key);
    const old = cache.get(key);
    if (old === undefined) diff.added.push(obj);
    else if (old.metadata?.resourceVersion !== obj.metadata?.resourceVersion) diff.updated.push([old, obj]);
  }
  for (const [key, old] of cache) if (!seen.has(key)) diff.deleted.push(old);
  return diff;
}
