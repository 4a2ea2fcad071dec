// One reconcile pass of a workload, the same story for every kind: guards (gone, being
// deleted, another tenant's, status from a newer leader), the kind's ordered steps (ensure
// each child), then the status, written once at the end and only when it changed.
import { FENCE_POLICY, tenantOf } from '../../api/labels.ts';
import type { ChangeReason, EventReason, Outcome, RefusalReason } from '../../api/reasons.ts';
import type { CommonWorkloadStatus, Workload } from '../../api/types.ts';
import type { ObjectCache, ReconcileRequest, ReconcileResult, Reconciler } from '../../runtime/types.ts';
import { KubeApiError, serverMessage } from '../../runtime/kube-client.ts';
import { LeadershipLost } from '../../runtime/write-guard.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import type { ChildWriter } from './apply.ts';
import { NameTaken } from './apply.ts';
import type { EventRecorder } from './events.ts';
import type { KindObservation } from './status.ts';
import { buildStatus, canonicalJson, statusChanged } from './status.ts';
import type { StatusWriter } from './status-writer.ts';

/** What every pass needs besides the key. */
export interface WorkloadDeps<W extends Workload> {
  crs: ObjectCache<W>;
  writer: ChildWriter;
  status: StatusWriter;
  /** The tenant this operator reconciles. */
  tenant: string;
  /** This leader's identity, written into status.leader. */
  leader: string;
  now?: () => Date;
  /** Tells about transitions; optional. */
  record?: EventRecorder;
}

/** What a step changed: one change, several (steps run together), or nothing. */
export type StepOutcome = Outcome<ChangeReason> | undefined;

/** One reconcile step: it makes one part of the children right and says what it changed. */
export type Step = () => Promise<StepOutcome | StepOutcome[]>;

/**
 * Steps that do not depend on each other, run at once as one step. It settles only when every
 * one of them has (a failure does not leave a sibling's write in flight), then fails with the
 * first failure.
 */
export function together(...steps: Step[]): Step {
  return async () => {
    const results = await Promise.allSettled(steps.map((s) => s()));
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
    return results.flatMap((r) => (r as PromiseFulfilledResult<StepOutcome | StepOutcome[]>).value);
  };
}

/** The kind-specific part: the steps that make the children right, and what they show. */
export interface KindDriver<W extends Workload, S extends object> {
  readonly kind: W['kind'];
  /** Ordered steps; each says what it changed (one Event each), or nothing. Every write goes through `guard`. */
  steps(cr: Readonly<W>, guard: WriteGuard): Step[];
  observe(cr: Readonly<W>): KindObservation<S>;
}

/** A problem that no retry fixes: the API server refused what the spec asks for. */
function stalledBy(err: unknown): Outcome<RefusalReason> | undefined {
  if (err instanceof NameTaken) return { reason: 'NameTaken', message: err.message };
  if (!(err instanceof KubeApiError)) return undefined;
  const code = err.code;
  if (code === 409 || code === 429 || code >= 500) return undefined;
  const message = serverMessage(err.body) ?? `the API server answered HTTP ${code}`;
  // The fence refused this write: a newer leader exists. That is the end of our leadership, not
  // a problem with the spec.
  if (message.includes(FENCE_POLICY)) throw new LeadershipLost(`fenced by the API server: ${message}`);
  return { reason: code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : `HTTP${code}`, message };
}

/** A Reconciler for one workload kind. */
export function workloadReconciler<W extends Workload, S extends object>(
  driver: KindDriver<W, S>,
  deps: WorkloadDeps<W>,
): Reconciler {
  const now = deps.now ?? (() => new Date());
  // The status this leader last wrote, per key. The cache can lag behind our own writes: a pass
  // whose result equals a stale cached status must still write if it differs from our last write,
  // or a later state (e.g. Running after Creating) could be skipped and never written.
  const lastWritten = new Map<string, { status: string; rvBefore: string | undefined; rvAfter: string | undefined }>();
  return {
    name: driver.kind,
    async reconcile({ key, guard }: ReconcileRequest): Promise<ReconcileResult> {
      const { epoch, signal } = guard;
      // Guards.
      const cr = deps.crs.get(key);
      if (!cr || cr.metadata.deletionTimestamp) {
        lastWritten.delete(key);
        return {};
      }
      if (tenantOf(cr.metadata.labels) !== deps.tenant) return {};
      if ((cr.status?.epoch ?? 0) > epoch) return {}; // a newer leader owns this CR now
      // Events are written alongside the pass; it ends only once they have settled.
      const events: Promise<void>[] = [];
      const record = (type: 'Normal' | 'Warning', reason: EventReason, message: string): void => {
        const written = deps.record?.(cr, type, reason, message, guard);
        if (written) events.push(written);
      };
      try {
        if (cr.status?.leader && cr.status.leader !== deps.leader) {
          record('Normal', 'LeaderChanged', `now reconciled by ${deps.leader} (epoch ${epoch})`);
        }

        // Steps.
        let stalled: Outcome<RefusalReason> | undefined;
        for (const step of driver.steps(cr, guard)) {
          if (signal.aborted) return {};
          try {
            for (const did of [await step()].flat()) if (did) record('Normal', did.reason, did.message);
          } catch (err) {
            stalled = stalledBy(err);
            if (!stalled) throw err;
            record('Warning', stalled.reason, stalled.message);
            break;
          }
        }
        if (signal.aborted) return {};

        // Status.
        const observed = driver.observe(cr);
        const next = buildStatus(
          cr.status as (CommonWorkloadStatus & Partial<S>) | undefined,
          stalled ? { ...observed, stalled, ready: false, phase: 'Stalled', message: stalled.message } : observed,
          { generation: cr.metadata.generation ?? 0, leader: deps.leader, epoch, now: now() },
        );
        const text = canonicalJson(next);
        const written = lastWritten.get(key);
        if (statusChanged(cr.status, next) || (written !== undefined && written.status !== text)) {
          // Conditional on the version seen; if the cache has not caught up with our own last write, that write's.
          const seen = cr.metadata.resourceVersion;
          const rv = written && written.rvBefore === seen ? written.rvAfter : seen;
          const after = await deps.status.patchStatus(cr, next, rv, guard);
          lastWritten.set(key, { status: text, rvBefore: seen, rvAfter: after });
        }
        return {};
      } finally {
        await Promise.allSettled(events);
      }
    },
  };
}
