// The check every leader write makes before it leaves: is the lease still safely held? Asked
// synchronously on the monotonic clock right before the request is sent, it stops a leader that
// was paused (GC, SIGSTOP, a blocked event loop) from writing after its renew deadline, even
// when the timer that ends leadership has not fired yet. The request then gets no longer than
// the time left before that deadline, and the leadership signal aborts it at once.
import { KubeApiError } from './kube-client.ts';
import type { KubeClient, KubeRequest } from './kube-client.ts';

/** Below this much time left, a write is not sent at all. */
export const MIN_WRITE_BUDGET_MS = 20;

/** What a leader's writes need: its epoch, the leadership signal, and the lease check. */
export interface WriteGuard {
  /** The fencing token every write carries. */
  readonly epoch: number;
  /** Aborts when leadership ends. */
  readonly signal: AbortSignal;
  /** Milliseconds the lease is still safely held (0 or less: not leading any more). */
  budgetMs(): number;
  /**
   * Told when a write sent under this guard got no definite answer (aborted, timed out, the
   * connection lost, a 5xx): it may still land later. A holder none of whose writes was left so
   * can step aside without fencing itself out first.
   */
  unanswered?(): void;
}

/**
 * Whether a failed write may still be applied later: anything but a definite answer from the
 * API server. A 5xx (a timeout between the API server and etcd, say) leaves the outcome open.
 */
export function mayStillLand(err: unknown): boolean {
  if (err instanceof LeadershipLost) return false; // refused before it was sent
  return !(err instanceof KubeApiError) || err.code >= 500;
}

/** A write refused because this process no longer safely holds the lease. */
export class LeadershipLost extends Error {
  override readonly name = 'LeadershipLost';
}

/** Sends `r` only while `guard` holds the lease, with its signal and a deadline inside the lease. */
export async function sendGuarded<T>(client: KubeClient, guard: WriteGuard, r: KubeRequest): Promise<T> {
  try {
    return await client.send<T>({
      ...r,
      signal: guard.signal,
      beforeSend: () => {
        const left = guard.budgetMs();
        if (guard.signal.aborted || left < MIN_WRITE_BUDGET_MS) {
          throw new LeadershipLost(
            `not sent: ${r.method} ${r.path}: the lease is no longer safely held (epoch ${guard.epoch})`,
          );
        }
        return left;
      },
    });
  } catch (err) {
    if (mayStillLand(err)) guard.unanswered?.();
    throw err;
  }
}

/** A guard that always holds (tools and tests that write outside an election). */
export function unguarded(epoch = 0): WriteGuard {
  return { epoch, signal: new AbortController().signal, budgetMs: () => Number.POSITIVE_INFINITY };
}
