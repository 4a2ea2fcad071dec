// A secondary index over a cache, as client-go's indexers: the objects that share a value (the
// pods of one workload, say), found without scanning the whole cache on every reconcile.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Watchable } from './controller.ts';
import type { ObjectCache, ObjectKey } from './types.ts';
import { keyOf } from './types.ts';

/** Objects of a cache by an index value; the objects themselves are read from the cache. */
export class CacheIndex<T extends KubernetesObject> {
  readonly #byValue = new Map<string, Set<ObjectKey>>();
  readonly #valueOf = new Map<ObjectKey, string>();

  /** Indexes `cache` by `indexOf` (undefined: not indexed) from now on, including what it holds. */
  constructor(
    readonly cache: ObjectCache<T> & Watchable<T>,
    readonly indexOf: (obj: Readonly<T>) => string | undefined,
  ) {
    cache.on({
      add: (obj) => this.#put(obj),
      update: (_old, obj) => this.#put(obj),
      delete: (obj) => this.#drop(keyOf(obj)),
    });
  }

  /** The cached objects indexed under `value`. */
  get(value: string): Readonly<T>[] {
    const out: Readonly<T>[] = [];
    for (const key of this.#byValue.get(value) ?? []) {
      const obj = this.cache.get(key);
      if (obj) out.push(obj);
    }
    return out;
  }

  #put(obj: Readonly<T>): void {
    const key = keyOf(obj);
    const value = this.indexOf(obj);
    if (this.#valueOf.get(key) === value) return;
    this.#drop(key);
    if (value === undefined) return;
    this.#valueOf.set(key, value);
    let keys = this.#byValue.get(value);
    if (!keys) this.#byValue.set(value, (keys = new Set()));
    keys.add(key);
  }

  #drop(key: ObjectKey): void {
    const value = this.#valueOf.get(key);
    if (value === undefined) return;
    this.#valueOf.delete(key);
    const keys = this.#byValue.get(value);
    keys?.delete(key);
    if (keys?.size === 0) this.#byValue.delete(value);
  }
}
