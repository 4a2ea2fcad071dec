// The leader gate's public contract: what the leader's work is given, the callbacks and
// observer it reports to, and the options it is built with (the gate itself is leader-gate.ts).
import type { Clock } from '../runtime/clock.ts';
import type { LeaderTimings } from './timings.ts';
import type { LockStore } from '../locks/lock-store.ts';

/** Why leadership ended. */
export type StopReason = 'lost' | 'renew-deadline' | 'shutdown' | 'handover';

/** What the leader's work receives: abort means stop acting now. */
export interface LeadingContext {
  signal: AbortSignal;
  /** The fencing token of this hold (raised by {@link LeadingContext.raiseEpoch}). */
  readonly epoch: number;
  /**
   * Milliseconds until this hold's renew deadline on the monotonic clock (0 when it has passed
   * or leadership ended). Asked synchronously before every write: a process that was paused
   * sees the deadline passed even when the timer that ends leadership has not fired yet.
   */
  budgetMs(): number;
  /**
   * Milliseconds until the store may grant this hold to another candidate at the earliest
   * (leaseDuration after the last successful renewal was sent). Unlike budgetMs it keeps counting
   * after leadership ended: teardown that must finish before a successor starts (a child process
   * to kill) knows how long it has.
   */
  leaseRemainingMs(): number;
  /**
   * The epoch floor: raises this hold's epoch in the store to at least `min` (a store that lost
   * its counter restarts low; the leader raises it above what it sees written). Resolves with the
   * epoch now held; rejects when the hold was lost, and leadership then ends.
   */
  raiseEpoch(min: number): Promise<number>;
  /**
   * A write of this hold got no definite answer and may still land. Once told, the gate fences
   * this hold's epoch out before it releases; otherwise a clean release lets the successor start
   * without waiting for that fence.
   */
  unanswered(): void;
}

/** The three callbacks of the gate. */
export interface LeaderCallbacks {
  /**
   * Starts the leader's work. The returned promise should settle once `signal` has aborted
   * and the work has stopped: the gate waits for it before releasing the lock.
   */
  onStartedLeading(ctx: LeadingContext): Promise<void> | void;
  /** Always called when leadership ends, at the moment the work is told to stop. */
  onStoppedLeading(info: { epoch: number; reason: StopReason }): void;
  /** A different holder (or none) was seen. */
  onNewLeader?(leader: { holder: string | null; epoch: number }): void;
}

/** Hooks for metrics and logs; every one optional. */
export interface GateObserver {
  acquired?(info: {
    epoch: number;
    previousHolder: string | null;
    failoverMs: number | undefined;
    /** How long ago the request that was granted was sent (the grant happened since). */
    requestedAgoMs: number;
  }): void;
  stopped?(info: { epoch: number; reason: StopReason; heldMs: number }): void;
  attemptFailed?(err: unknown): void;
  renewed?(info: { epoch: number; latencyMs: number }): void;
  renewFailed?(err: unknown): void;
  /** `clean`: the release said that none of this hold's writes can still land. */
  released?(info: { epoch: number; ok: boolean; clean: boolean }): void;
  /** The leader's work threw instead of stopping cleanly. */
  workFailed?(err: unknown): void;
  /** The epoch was raised to the floor. */
  epochRaised?(info: { from: number; to: number }): void;
}

/** Settings of a {@link LeaderGate}. */
export interface LeaderGateOptions {
  store: LockStore;
  /** This candidate's identity in the store. */
  identity: string;
  timings: LeaderTimings;
  callbacks: LeaderCallbacks;
  observer?: GateObserver;
  clock?: Clock;
  /** Random number in [0, 1) for retry jitter (injected in tests). */
  random?: () => number;
  /**
   * Raises a fence outside the store to `nextEpoch`, so that the previous holder's late writes
   * are refused from the moment its hold ended, not from the moment a successor starts. Called
   * by the leader before it releases, unless none of its writes was left unanswered (a clean
   * release); by a follower once the holder went a renew deadline without renewing; before taking
   * a lock the store says is free (a failure there counts as a failed attempt, retried with
   * backoff). The gate never leads with a grant above the fence, except the grant right after a
   * clean release (OutsideFence.covers).
   */
  beforeAcquire?: (nextEpoch: number, opts: { signal: AbortSignal }) => Promise<void>;
  /**
   * The epoch the outside fence is known to have reached, without a request (e.g. from a watch of
   * it; only ever what has been written). A candidate that knows the fence is above the epoch it
   * last saw neither reads the store nor raises the fence before it asks for the lock.
   */
  fenceSeen?: () => number;
}
