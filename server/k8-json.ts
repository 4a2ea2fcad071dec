// Go's JSON encoding of the two types K8 Highlander's answers are full of, so that its clients
// parse ours unchanged: a time.Duration is an integer of nanoseconds, and a time.Time that was
// never set is the zero time, never null.

/** Go's zero time.Time as encoding/json writes it ("never"). */
export const GO_ZERO_TIME = '0001-01-01T00:00:00Z';

/** A time (epoch ms, or an RFC 3339 string) as a Go time.Time; null or undefined is the zero time. */
export function goTime(t: number | string | null | undefined): string {
  if (t === null || t === undefined || t === '') return GO_ZERO_TIME;
  return new Date(t).toISOString();
}

/** A duration in ms as a Go time.Duration (integer nanoseconds). */
export function goDuration(ms: number): number {
  return Math.round(ms * 1e6);
}
