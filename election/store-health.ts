// Whether the lock store answers, judged by the most recent completed call.
import type { LockStore } from '../locks/lock-store.ts';
import { aroundStore } from './around-store.ts';

/** Tracks the outcome of the latest lock-store call. */
export class StoreHealth {
  #ok: boolean | undefined;
  #lastError = '';

  /** Reachable once a call has succeeded, until one fails. */
  get reachable(): boolean {
    return this.#ok === true;
  }

  /** The latest error message, for /readyz. */
  get lastError(): string {
    return this.#lastError;
  }

  /** Wraps `store` so every call's outcome is recorded (subscribing is not a health signal). */
  watch(store: LockStore): LockStore {
    return aroundStore(store, async (operation, call) => {
      if (operation === 'subscribe') return call();
      try {
        const v = await call();
        this.#ok = true;
        return v;
      } catch (err) {
        this.#ok = false;
        this.#lastError = err instanceof Error ? err.message : String(err);
        throw err;
      }
    });
  }
}
