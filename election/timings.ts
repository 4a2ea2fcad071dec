// Leader-election timings and the rules between them (the same rules as client-go's elector).
import { formatDuration } from '../runtime/duration.ts';

/** How long a hold lasts, how long a leader keeps trying to renew, and how often it renews. */
export interface LeaderTimings {
  /** A hold's length: followers take over this long after the last renewal they saw. */
  leaseDurationMs: number;
  /** A leader that has not renewed for this long stops acting, before anyone can take over. */
  renewDeadlineMs: number;
  /** How often the leader renews (and retries a failed renewal). */
  retryPeriodMs: number;
}

/** client-go's defaults: 15 s / 10 s / 2 s. */
export const DEFAULT_TIMINGS: LeaderTimings = {
  leaseDurationMs: 15_000,
  renewDeadlineMs: 10_000,
  retryPeriodMs: 2_000,
};

/** The jitter factor the rules allow for between retries. */
export const JITTER_FACTOR = 1.2;

/** A timing setting that breaks a rule. */
export class TimingError extends Error {
  override readonly name = 'TimingError';
}

/**
 * The problems with `t`, one message per broken rule, each naming the settings at fault
 * (an empty list when the timings are usable).
 */
export function timingProblems(t: LeaderTimings): string[] {
  const problems: string[] = [];
  for (const key of ['leaseDurationMs', 'renewDeadlineMs', 'retryPeriodMs'] as const) {
    const v = t[key];
    if (!Number.isFinite(v) || v <= 0) problems.push(`${key.replace(/Ms$/, '')} (${v}) must be a positive duration`);
  }
  if (problems.length) return problems;
  if (t.leaseDurationMs <= t.renewDeadlineMs) {
    problems.push(
      `leaseDuration (${formatDuration(t.leaseDurationMs)}) must be greater than renewDeadline (${formatDuration(t.renewDeadlineMs)})`,
    );
  }
  if (t.renewDeadlineMs <= t.retryPeriodMs * JITTER_FACTOR) {
    problems.push(
      `renewDeadline (${formatDuration(t.renewDeadlineMs)}) must be greater than retryPeriod (${formatDuration(t.retryPeriodMs)}) × ${JITTER_FACTOR}`,
    );
  }
  return problems;
}

/** Throws a {@link TimingError} listing every broken rule. */
export function validateTimings(t: LeaderTimings): LeaderTimings {
  const problems = timingProblems(t);
  if (problems.length) throw new TimingError(problems.join('; '));
  return t;
}
