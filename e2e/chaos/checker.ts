// The chaos suite's checker: from the replicas' own logs (each grant, with the moment its request
// was sent, and each epoch raise) and the API server's audit log (every write each replica's
// token made, with its request body and answer), it counts
//   - writes accepted after their writer was superseded: landed after another replica was
//     granted the lock (counting from the moment that grant was requested, the earliest it could
//     have happened), or by a replica that held no grant at all;
//   - writes the admission policy refused (its message starts "highlander epoch fence");
//   - the longest time no replica acted as leader.
import type { AuditMark } from '../../testkit/audit-log.ts';
import { auditedRequests } from '../../testkit/audit-log.ts';
import type { LogLine, OperatorProcess } from '../../testkit/operator-process.ts';
import type { Slot } from './replicas.ts';

/** One leadership: a grant of the lock to one process, its epoch raises, and when it ended. */
export interface Session {
  slot: number;
  process: OperatorProcess;
  /** The epoch it led at last (raises included). */
  epoch: number;
  /** The epoch the store granted. */
  grantedEpoch: number;
  /** When the granted request was sent (epoch ms): the grant happened at or after it. */
  requestedAt: number;
  /** When the process began acting as leader. */
  actingAt: number;
  /** When it stopped acting (its 'leadership ended' line, its kill or stop), or undefined. */
  endedAt: number | undefined;
}

/** A write the checker judged stale, for the report. */
export interface StaleWrite {
  at: string;
  slot: number;
  verb: string;
  resource: string;
  name: string;
  reason: string;
}

/** What the checker found. */
export interface Verdict {
  writes: number;
  staleAccepted: StaleWrite[];
  refused: number;
  /** Writes of a superseded writer that the resourceVersion they carried refused (409). */
  conflicted: number;
  /** The longest time no replica acted as leader, and when it began (epoch ms). */
  maxLeaderless: { ms: number; at: number };
}

const time = (l: LogLine): number => (typeof l.time === 'number' ? l.time : 0);

/** Every session of every slot, oldest first. */
export function sessions(slots: readonly Slot[]): Session[] {
  const out: Session[] = [];
  for (const slot of slots) {
    for (const p of slot.processes) {
      const lines = p.lines;
      lines.forEach((l, i) => {
        if (l.msg !== 'became leader') return;
        const start = time(l);
        const later = lines.slice(i + 1);
        const ended = later.find((x) => x.msg === 'leadership ended' || x.msg === 'became leader');
        const killed = slot.ended.find((e) => e.process === p && e.at >= start)?.at;
        const endedAt = [ended ? time(ended) : undefined, killed].filter((x): x is number => x !== undefined);
        const s: Session = {
          slot: slot.index,
          process: p,
          epoch: Number(l.epoch),
          grantedEpoch: Number(l.epoch),
          requestedAt: typeof l.grantRequestedAt === 'number' ? l.grantRequestedAt : start,
          actingAt: start,
          endedAt: endedAt.length ? Math.min(...endedAt) : undefined,
        };
        for (const r of later) {
          if (ended && time(r) > time(ended)) break;
          if (r.msg === 'epoch raised' && typeof r.to === 'number') s.epoch = r.to;
        }
        out.push(s);
      });
    }
  }
  return out.sort((a, b) => a.requestedAt - b.requestedAt);
}

/** The longest stretch in [from, to] in which no session was acting. */
export function maxLeaderless(all: readonly Session[], from: number, to: number): { ms: number; at: number } {
  const spans = all
    .map((s) => [Math.max(from, s.actingAt), Math.min(to, s.endedAt ?? to)] as const)
    .filter(([a, b]) => b > a)
    .sort((x, y) => x[0] - y[0]);
  let longest = { ms: 0, at: from };
  let covered = from;
  for (const [a, b] of spans) {
    if (a - covered > longest.ms) longest = { ms: a - covered, at: covered };
    covered = Math.max(covered, b);
  }
  return to - covered > longest.ms ? { ms: to - covered, at: covered } : longest;
}

/** Judges the writes the replicas' tokens made in `namespace` since `mark`, within [from, to]. */
export async function check(o: {
  slots: readonly Slot[];
  mark: AuditMark;
  namespace: string;
  from: number;
  to: number;
}): Promise<Verdict> {
  const all = sessions(o.slots);
  const verdict: Verdict = {
    writes: 0,
    staleAccepted: [],
    refused: 0,
    conflicted: 0,
    maxLeaderless: maxLeaderless(all, o.from, o.to),
  };
  for (const slot of o.slots) {
    const events = await auditedRequests(o.mark, slot.identity.credentialId, o.from, o.to + 60_000);
    for (const e of events) {
      if (!['create', 'update', 'patch', 'delete'].includes(e.verb ?? '')) continue;
      if (e.objectRef?.namespace !== o.namespace) continue; // the lock and fence Leases are the store's
      verdict.writes += 1;
      const code = e.responseStatus?.code ?? 0;
      const at = Date.parse(e.stageTimestamp ?? '');
      const reason = superseded(all, slot.index, at);
      if (code >= 300) {
        if (String(e.responseStatus?.message).includes('highlander epoch fence')) verdict.refused += 1;
        else if (code === 409 && reason) verdict.conflicted += 1;
        continue;
      }
      if (reason) {
        verdict.staleAccepted.push({
          at: e.stageTimestamp ?? '',
          slot: slot.index,
          verb: e.verb ?? '',
          resource: `${e.objectRef?.resource ?? '?'}${e.objectRef?.subresource ? `/${e.objectRef.subresource}` : ''}`,
          name: e.objectRef?.name ?? '',
          reason,
        });
      }
    }
  }
  return verdict;
}

/**
 * Whether session `a` was granted before session `b` although its request was sent after b's:
 * b's request waited (the Spanner emulator runs one read-write transaction at a time) while a
 * was granted, led and ended, and only then was b granted. The evidence must be both: a stopped
 * before b began acting, and a's epoch (raises included) is below the one b was granted. A store
 * that lost its counter granting a lower epoch after b does not pass: its successor raises its
 * epoch above every one written, so it is not below b's.
 */
function grantedBefore(a: Session, b: Session): boolean {
  return a.endedAt !== undefined && a.endedAt <= b.actingAt && a.epoch < b.grantedEpoch;
}

/** Why a write of `slot` that landed at `at` came from a superseded writer, or undefined. */
export function superseded(all: readonly Session[], slot: number, at: number): string | undefined {
  const own = all.filter((s) => s.slot === slot && s.requestedAt <= at).at(-1);
  if (!own) return 'the writer held no grant';
  const next = all.find((s) => s.requestedAt > own.requestedAt && s.requestedAt <= at && !grantedBefore(s, own));
  if (next) {
    return `slot ${slot} (epoch ${own.epoch}) was superseded ${at - next.requestedAt} ms before, by slot ${next.slot} (epoch ${next.epoch})`;
  }
  return undefined;
}
