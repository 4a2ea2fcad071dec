// Status conditions as kstatus and Argo CD read them: Ready, Reconciling, Stalled, each with
// observedGeneration; lastTransitionTime moves only when a condition's status flips.
import type { Condition } from '../../api/conditions.ts';

/** A condition as computed, before its transition time is decided. */
export type ConditionInput = Omit<Condition, 'lastTransitionTime'>;

/**
 * Merges computed conditions into the previous ones: a condition keeps its previous
 * lastTransitionTime unless its status changed; types not computed are kept as they were.
 */
export function mergeConditions(
  previous: readonly Condition[] | undefined,
  next: readonly ConditionInput[],
  now: Date,
): Condition[] {
  const prev = new Map((previous ?? []).map((c) => [c.type, c]));
  const out: Condition[] = next.map((c) => {
    const p = prev.get(c.type);
    prev.delete(c.type);
    return { ...c, lastTransitionTime: p && p.status === c.status ? p.lastTransitionTime : now.toISOString() };
  });
  return [...out, ...prev.values()];
}

/** The workload's health as the controller observed it, in kstatus terms. */
export interface Observation<R extends string = string> {
  /** Ready: the workload runs (or, for a suspended cron job, rests) as specified. */
  ready: boolean;
  /** Still converging: children being created, rolled out, scaled. */
  reconciling: boolean;
  /** Cannot progress without a change to the spec or the cluster (invalid spec, missing secret…). */
  stalled?: { reason: string; message: string };
  reason: R;
  message: string;
}

/** The three conditions for an observation at `generation`. */
export function conditionsFor(o: Observation, generation: number): ConditionInput[] {
  const g = { observedGeneration: generation };
  return [
    {
      type: 'Ready',
      status: o.ready ? 'True' : 'False',
      reason: o.stalled?.reason ?? o.reason,
      message: o.stalled?.message ?? o.message,
      ...g,
    },
    o.reconciling && !o.stalled
      ? { type: 'Reconciling', status: 'True', reason: o.reason, message: o.message, ...g }
      : { type: 'Reconciling', status: 'False', reason: o.stalled ? 'Stalled' : 'Reconciled', message: '', ...g },
    o.stalled
      ? { type: 'Stalled', status: 'True', reason: o.stalled.reason, message: o.stalled.message, ...g }
      : { type: 'Stalled', status: 'False', reason: 'Progressing', message: '', ...g },
  ];
}

/** A condition by type. */
export function findCondition(conds: readonly Condition[] | undefined, type: string): Condition | undefined {
  return conds?.find((c) => c.type === type);
}
