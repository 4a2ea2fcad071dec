// Flux's kstatus rules for a custom resource, as the sigs.k8s.io/cli-utils library applies
// them to kinds it has no special rules for. A check of our statuses in tests, not product code.

/** kstatus's verdicts (NotFound and Unknown need a cluster lookup, so they never come from here). */
export type KStatus = 'InProgress' | 'Failed' | 'Current' | 'Terminating';

/** Which rule decided: `fallback` means none did, and kstatus then calls the object Current. */
export type KStatusRule = 'deletion' | 'generation' | 'reconciling' | 'stalled' | 'ready' | 'fallback';

/** A verdict and why. */
export interface KStatusResult {
  status: KStatus;
  rule: KStatusRule;
  message: string;
}

interface Cond {
  type?: unknown;
  status?: unknown;
  reason?: unknown;
  message?: unknown;
}

/** The object as kstatus reads it: only metadata and status matter. */
export interface KStatusInput {
  kind?: string;
  metadata?: { generation?: number; deletionTimestamp?: string | Date };
  status?: { observedGeneration?: number; conditions?: Cond[] };
}

const text = (c: Cond): string =>
  typeof c.message === 'string' && c.message ? c.message : typeof c.reason === 'string' ? c.reason : '';

/**
 * kstatus's verdict, rule by rule: being deleted → Terminating; status.observedGeneration
 * present and not metadata.generation → InProgress; the first of Reconciling=True (InProgress)
 * or Stalled=True (Failed) in the conditions; Ready=True → Current. Nothing decided → Current,
 * as kstatus does for a custom resource without these conditions (even with no status at all).
 */
export function kstatus(obj: KStatusInput): KStatusResult {
  if (obj.metadata?.deletionTimestamp) {
    return { status: 'Terminating', rule: 'deletion', message: 'Resource scheduled for deletion' };
  }
  const generation = obj.metadata?.generation;
  const observed = obj.status?.observedGeneration;
  if (generation !== undefined && observed !== undefined && observed !== generation) {
    return {
      status: 'InProgress',
      rule: 'generation',
      message: `${obj.kind ?? 'Resource'} generation is ${generation}, but latest observed generation is ${observed}`,
    };
  }
  const conditions = obj.status?.conditions ?? [];
  for (const c of conditions) {
    if (c.type === 'Reconciling' && c.status === 'True')
      return { status: 'InProgress', rule: 'reconciling', message: text(c) };
    if (c.type === 'Stalled' && c.status === 'True') return { status: 'Failed', rule: 'stalled', message: text(c) };
  }
  const ready = conditions.find((c) => c.type === 'Ready');
  if (ready?.status === 'True') return { status: 'Current', rule: 'ready', message: text(ready) };
  return { status: 'Current', rule: 'fallback', message: 'Resource is current' };
}
