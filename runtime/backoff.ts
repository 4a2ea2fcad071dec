// Retry and watch timings shared by the informers: jittered exponential backoff, and the random
// server-side watch timeout client-go's reflector uses.

/** Nominal first and last retry delays after failures; actual delays are up to 25 % shorter. */
export const BACKOFF_MS = { initial: 200, max: 30_000, jitter: 0.25 } as const;

/** The delay before retry number `failures` (1, 2, …): doubling from 200 ms to 30 s, jittered down by `random`. */
export function backoffMs(failures: number, random: number): number {
  const nominal = Math.min(BACKOFF_MS.max, BACKOFF_MS.initial * 2 ** Math.max(0, failures - 1));
  return nominal * (1 - BACKOFF_MS.jitter * random);
}

/** A whole number of seconds in `[min, max]`, picked by `random` in [0, 1). */
export function pickWatchTimeout([min, max]: readonly [number, number], random: number): number {
  return Math.min(max, min + Math.floor(random * (max - min + 1)));
}
