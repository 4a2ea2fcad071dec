// Leader-gated workers: take keys from a queue and reconcile them while the signal holds.
import type { Log } from './logger.ts';
import type { ReconcileObserver } from './metrics.ts';
import type { Reconciler } from './types.ts';
import { TerminalError } from './types.ts';
import type { WorkQueue } from './workqueue.ts';

/** Settings of one controller's workers. */
export interface WorkerOptions {
  queue: WorkQueue;
  reconciler: Reconciler;
  workers: number;
  epoch: number;
  /** Aborts when leadership ends: workers stop taking keys and in-flight passes see it. */
  signal: AbortSignal;
  log: Log;
  observer?: ReconcileObserver;
}

/** Runs `workers` loops until the signal aborts; resolves when every loop has stopped. */
export async function runWorkers(o: WorkerOptions): Promise<void> {
  const loop = async (): Promise<void> => {
    o.observer?.workerStarted();
    try {
      for (;;) {
        const key = await o.queue.get(o.signal);
        if (key === undefined) return;
        const start = performance.now();
        try {
          const res = await o.reconciler.reconcile({ key, epoch: o.epoch, signal: o.signal });
          o.queue.forget(key);
          if (res.requeueAfterMs !== undefined && !o.signal.aborted) o.queue.addAfter(key, res.requeueAfterMs);
          o.observer?.reconciled({
            key,
            outcome: res.requeueAfterMs !== undefined ? 'requeue_after' : 'success',
            ms: performance.now() - start,
          });
        } catch (err) {
          const terminal = err instanceof TerminalError;
          o.observer?.reconciled({
            key,
            outcome: 'error',
            ms: performance.now() - start,
            terminal,
            aborted: o.signal.aborted,
          });
          if (o.signal.aborted) {
            // Leadership ended mid-pass; the next leader reconciles this key from scratch.
          } else if (terminal) {
            o.queue.forget(key);
            o.log.warn(
              { controller: o.reconciler.name, key, err: String(err) },
              'reconcile failed; not retrying until the object changes',
            );
          } else {
            o.queue.addRateLimited(key);
            o.log.warn(
              { controller: o.reconciler.name, key, err: String(err), retries: o.queue.failures(key) },
              'reconcile failed; retrying',
            );
          }
        } finally {
          o.queue.done(key);
        }
      }
    } finally {
      o.observer?.workerStopped();
    }
  };
  await Promise.all(Array.from({ length: o.workers }, () => loop()));
}
