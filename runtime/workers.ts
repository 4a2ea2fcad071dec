// Leader-gated workers: take keys from a queue and reconcile them while the signal holds.
import type { Log } from './logger.ts';
import { LeadershipLost } from './write-guard.ts';
import type { WriteGuard } from './write-guard.ts';
import type { ReconcileObserver } from './metrics.ts';
import type { Reconciler } from './types.ts';
import { TerminalError } from './types.ts';
import type { WorkQueue } from './workqueue.ts';

/** Settings of one controller's workers. */
export interface WorkerOptions {
  queue: WorkQueue;
  reconciler: Reconciler;
  workers: number;
  /** The leader's epoch, lease check and signal: when it aborts, workers stop taking keys and in-flight passes see it. */
  guard: WriteGuard;
  log: Log;
  observer?: ReconcileObserver;
}

/** Runs `workers` loops until the signal aborts; resolves when every loop has stopped. */
export async function runWorkers(o: WorkerOptions): Promise<void> {
  const loop = async (): Promise<void> => {
    o.observer?.workerStarted();
    try {
      for (;;) {
        const key = await o.queue.get(o.guard.signal);
        if (key === undefined) return;
        const start = performance.now();
        try {
          const res = await o.reconciler.reconcile({
            key,
            epoch: o.guard.epoch,
            signal: o.guard.signal,
            guard: o.guard,
          });
          o.queue.forget(key);
          if (res.requeueAfterMs !== undefined && !o.guard.signal.aborted) o.queue.addAfter(key, res.requeueAfterMs);
          o.observer?.reconciled({
            key,
            outcome: res.requeueAfterMs !== undefined ? 'requeue_after' : 'success',
            ms: performance.now() - start,
          });
        } catch (err) {
          const terminal = err instanceof TerminalError;
          // A write refused by the lease check means leadership is ending (its timer may not have fired yet).
          const ended = o.guard.signal.aborted || err instanceof LeadershipLost;
          o.observer?.reconciled({ key, outcome: 'error', ms: performance.now() - start, terminal, aborted: ended });
          if (ended) {
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
