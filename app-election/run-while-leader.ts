// The shape most singletons want: run this function whenever this process leads, stop it the
// moment leadership ends, run it again on the next term.
import type { Election, LeaderWork } from './election.ts';
import { openElection } from './election.ts';
import type { ElectionInternals } from './election.ts';
import type { ElectOptions } from './options.ts';

/** The settings of {@link runWhileLeader}: the election's, and a signal that ends it. */
export interface RunOptions extends ElectOptions {
  /** Leaves the election when it aborts: the work is stopped, then the lock released. */
  signal?: AbortSignal;
  /** Called with the election before it campaigns: to listen to its events or read its state. */
  onElection?: (election: Election) => void;
}

/**
 * Campaigns and calls `work(signal, epoch, term)` at the start of every term. `signal` aborts
 * when the term ends (the lock lost, the renew deadline passed, or `opts.signal` aborted); the
 * work must then stop and settle, and only then is the lock released. Every term's epoch is larger
 * than the one before: pass it with every write so that a store can refuse a deposed leader's.
 *
 * Resolves with the work's value when it returns on its own while leading (the job is done; the
 * lock is released), or with undefined once `opts.signal` aborted and everything stopped. Rejects
 * with the work's error when it throws (the lock is released first).
 */
export async function runWhileLeader<T>(
  opts: RunOptions,
  work: LeaderWork<T>,
  internals?: ElectionInternals,
): Promise<T | undefined> {
  const election = await openElection(opts, work, internals);
  const stopped = new Promise<undefined>((resolve) => {
    if (opts.signal?.aborted) resolve(undefined);
    opts.signal?.addEventListener('abort', () => resolve(undefined), { once: true });
  });
  opts.onElection?.(election);
  if (!opts.signal?.aborted) await election.start();
  const outcome = await Promise.race([election.finished, stopped]);
  await election.stop();
  if (outcome && 'error' in outcome) throw outcome.error;
  return outcome?.value as T | undefined;
}
