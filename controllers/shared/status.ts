// The status every kind writes, and the rule for writing it: only when something changed.
import type { StateReason } from '../../api/reasons.ts';
import type { CommonWorkloadStatus } from '../../api/types.ts';
import type { Observation } from './conditions.ts';
import { conditionsFor, mergeConditions } from './conditions.ts';

/** What a kind's observer reports: the kstatus observation plus the status fields it fills. */
export interface KindObservation<S extends object> extends Observation<StateReason> {
  active: boolean;
  healthy: boolean;
  phase: string;
  fields: S;
}

/** The status to write for an observation. */
export function buildStatus<S extends object>(
  previous: (CommonWorkloadStatus & Partial<S>) | undefined,
  o: KindObservation<S>,
  ctx: { generation: number; leader: string; epoch: number; now: Date },
): CommonWorkloadStatus & S {
  return {
    ...o.fields,
    observedGeneration: ctx.generation,
    active: o.active,
    healthy: o.healthy,
    leader: ctx.leader,
    epoch: ctx.epoch,
    phase: o.phase,
    message: o.stalled?.message ?? o.message,
    conditions: mergeConditions(previous?.conditions, conditionsFor(o, ctx.generation), ctx.now),
  };
}

/** Whether writing `next` would change anything (so an unchanged status is never written). */
export function statusChanged(previous: object | undefined, next: object): boolean {
  return canonicalJson(previous ?? {}) !== canonicalJson(next);
}

/** JSON with keys sorted and undefined values dropped: equal texts mean equal statuses. */
export function canonicalJson(v: object): string {
  return JSON.stringify(canonical(v));
}

function canonical(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(canonical);
  if (v !== null && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v)
        .filter(([, x]) => x !== undefined)
        .sort(([a], [b]) => a.localeCompare(b))
        .map(([k, x]) => [k, canonical(x)]),
    );
  }
  return v;
}
