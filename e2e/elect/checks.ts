// The checks of the elect e2e test on what the sidecars answered against what the store held.
import type { Sample, Sidecar, Truth } from './sidecars.ts';

/** How far an answer may trail the store (the "within 1 s of every change"). */
export const WITHIN_MS = 1000;

/** A stretch of consecutive store reads with one holder and epoch. */
export interface Segment {
  holder: string | null;
  epoch: number;
  /** The first read that saw it was sent then: the change came at most one read before. */
  from: number;
  /** The last read that saw it answered then. */
  to: number;
}

export function segments(reads: Truth[]): Segment[] {
  const out: Segment[] = [];
  for (const r of reads) {
    const cur = out.at(-1);
    if (cur && cur.holder === r.holder && cur.epoch === r.epoch) cur.to = r.got;
    else out.push({ holder: r.holder, epoch: r.epoch, from: r.sent, to: r.got });
  }
  return out;
}

/**
 * Known answers that no store read within WITHIN_MS before them (or just after: the sidecar heard
 * of a grant before the test's own read did) agrees with: stale answers.
 */
export function staleAnswers(s: Sidecar, reads: Truth[], aheadMs = 300): Sample[] {
  const truth = withFreeMoments(reads);
  return s.samples.filter(
    (a) =>
      a.status === 200 &&
      !truth.some((r) => r.holder === a.holder && r.got >= a.sent - WITHIN_MS && r.sent <= a.got + aheadMs),
  );
}

/**
 * The reads plus the moments the lock was free between two of them: a new holder is granted
 * only after the last one released or expired, a free moment the 20 ms reads may fall between.
 */
export function withFreeMoments(reads: Truth[]): Truth[] {
  const out: Truth[] = [];
  for (const [i, r] of reads.entries()) {
    const prev = reads[i - 1];
    if (prev && prev.holder !== null && r.holder !== prev.holder)
      out.push({ sent: prev.sent, got: r.got, holder: null, epoch: prev.epoch });
    out.push(r);
  }
  return out;
}

/**
 * For every holder that held for WITHIN_MS or longer, each sidecar that was listening and not
 * signalled or cut then: the time from the change to its first answer naming the holder. A
 * sidecar that never named it within WITHIN_MS is reported in `late`.
 */
export function followLags(
  sidecars: Sidecar[],
  reads: Truth[],
  excused: (s: Sidecar, at: number) => boolean,
): { lags: number[]; late: string[]; changes: number } {
  const lags: number[] = [];
  const late: string[] = [];
  let changes = 0;
  for (const seg of segments(reads)) {
    if (seg.holder === null || seg.to - seg.from < WITHIN_MS) continue;
    changes += 1;
    const due = seg.from + WITHIN_MS;
    for (const s of sidecars) {
      if (s.listeningAt > seg.from || excused(s, due)) continue;
      const first = s.samples.find((a) => a.got >= seg.from && a.status === 200 && a.holder === seg.holder);
      const lag = first ? first.got - seg.from : Infinity;
      if (lag > WITHIN_MS) late.push(`${s.slot} (pid ${s.process.pid}) on ${seg.holder}@${seg.epoch}: ${lag} ms`);
      else lags.push(lag);
    }
  }
  return { lags, late, changes };
}

export function percentile(xs: number[], p: number): number {
  if (!xs.length) return NaN;
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}
