// Decorates every call of a lock store with the same wrapper (timing, health, logging).
import type { LockStore } from '../locks/lock-store.ts';

/** Runs a named store call; must return (or throw) what `call` does. */
export type Around = <T>(operation: string, call: () => Promise<T>) => Promise<T>;

/** A store whose calls all go through `around` (close() excepted). */
export function aroundStore(store: LockStore, around: Around): LockStore {
  return {
    backend: store.backend,
    lockName: store.lockName,
    ...(store.announcesCleanRelease ? { announcesCleanRelease: true } : {}),
    tryAcquire: (h, ttl, o) => around('acquire', () => store.tryAcquire(h, ttl, o)),
    renew: (h, e, ttl, o) => around('renew', () => store.renew(h, e, ttl, o)),
    raiseEpoch: (h, e, min, ttl, o) => around('raise', () => store.raiseEpoch(h, e, min, ttl, o)),
    release: (h, e, o) => around('release', () => store.release(h, e, o)),
    read: (o) => around('read', () => store.read(o)),
    subscribe: (l) => around('subscribe', () => store.subscribe(l)),
    close: () => store.close(),
  };
}
