// A controller, as controller-runtime's: a workqueue, a reconciler and its workers, fed by the
// caches it watches. It runs only while this replica leads: keys are queued only then (a new
// leader looks at every object once anyway, the takeover resync), and its workers stop when
// leadership ends.
import type { KubernetesObject } from '@kubernetes/client-node';
import type { Log } from './logger.ts';
import type { LeaderContext, Runnable } from './manager.ts';
import type { ReconcileObserver } from './metrics.ts';
import type { InformerHandlers, ObjectKey, Reconciler } from './types.ts';
import { runWorkers } from './workers.ts';
import type { WorkQueue } from './workqueue.ts';

/** A cache a controller can watch. */
export interface Watchable<T extends KubernetesObject> {
  on(handlers: InformerHandlers<T>): () => void;
}

/** Turns one cache change into the keys to reconcile (none: not this controller's business). */
export interface EventHandler<T extends KubernetesObject> {
  create?(obj: Readonly<T>): ObjectKey[];
  update?(oldObj: Readonly<T>, newObj: Readonly<T>): ObjectKey[];
  delete?(obj: Readonly<T>): ObjectKey[];
}

/** Settings of a {@link Controller}. */
export interface ControllerOptions {
  name: string;
  queue: WorkQueue;
  reconciler: Reconciler;
  /** Concurrent passes (reconciles wait on the API server, not the CPU). */
  workers: number;
  /** The keys a new leader looks at once (every object of this controller's kind). */
  resync: () => ObjectKey[];
  log: Log;
  observer?: ReconcileObserver;
}

/** One kind's controller. */
export class Controller implements Runnable {
  readonly needsLeadership = true;
  readonly name: string;
  readonly #o: ControllerOptions;
  #leading = false;

  constructor(o: ControllerOptions) {
    this.name = o.name;
    this.#o = o;
  }

  /** Queues the keys `handler` maps each change of `source` to, while leading. */
  watch<T extends KubernetesObject>(source: Watchable<T>, handler: EventHandler<T>): this {
    const enqueue = (keys: ObjectKey[] | undefined): void => {
      if (this.#leading) for (const key of keys ?? []) this.#o.queue.add(key);
    };
    source.on({
      add: (obj) => enqueue(handler.create?.(obj)),
      update: (oldObj, newObj) => enqueue(handler.update?.(oldObj, newObj)),
      delete: (obj) => enqueue(handler.delete?.(obj)),
    });
    return this;
  }

  /** Reconciles until leadership ends; settles once every in-flight pass has finished. */
  async run(ctx: { signal: AbortSignal } & Partial<LeaderContext>): Promise<void> {
    const guard = ctx as LeaderContext;
    const { signal } = guard;
    if (signal.aborted) return;
    this.#leading = true;
    signal.addEventListener('abort', () => (this.#leading = false), { once: true });
    for (const key of this.#o.resync()) this.#o.queue.add(key);
    await runWorkers({
      queue: this.#o.queue,
      reconciler: this.#o.reconciler,
      workers: this.#o.workers,
      guard,
      log: this.#o.log,
      ...(this.#o.observer ? { observer: this.#o.observer } : {}),
    });
  }

  /** Stops the queue for good (at shutdown). */
  shutDown(): void {
    this.#o.queue.shutDown();
  }
}
