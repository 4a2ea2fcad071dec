// One reconcile pass of a workload, the same story for every kind: guards (gone, being
// deleted, another tenant's, status from a newer leader), the kind's ordered steps (ensure
// each child), then the status, written once at the end and only when it changed.
import { ApiException } from '@kubernetes/client-node';
import { tenantOf } from '../../api/labels.ts';
import type { ChangeReason, Outcome, RefusalReason } from '../../api/reasons.ts';
import type { CommonWorkloadStatus, Workload } from '../../api/types.ts';
import type { ObjectCache, ReconcileRequest, ReconcileResult, Reconciler } from '../../runtime/types.ts';
import type { ChildWriter } from './apply.ts';
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

/** Steps that do not depend on each other, run at once as one step. */
export function together(...steps: Step[]): Step {
  return async () => (await Promise.all(steps.map((s) => s()))).flat();
}

/** The kind-specific part: the steps that make the children right, and what they show. */
export interface KindDriver<W extends Workload, S extends object> {
  readonly kind: W['kind'];
  /** Ordered steps; each says what it changed (one Event each), or nothing. */
  steps(cr: Readonly<W>, epoch: number, signal: AbortSignal): Step[];
  observe(cr: Readonly<W>): KindObservation<S>;
}

/** A problem that no retry fixes: the API server refused what the spec asks for. */
function stalledBy(err: unknown): Outcome<RefusalReason> | undefined {
  if (!(err instanceof ApiException)) return undefined;
  const code = err.code;
  if (code === 409 || code === 429 || code >= 500) return undefined;
  return {
    reason: code === 403 ? 'Forbidden' : code === 422 ? 'Invalid' : `HTTP${code}`,
    message: serverMessage(err.body) ?? `the API server answered HTTP ${code}`,
  };
}

/** The API server's own message from a Status body (an object, or the JSON text of one). */
export function serverMessage(body: unknown): string | undefined {
  let b = body;
  if (typeof body === 'string') {
    try {
      b = JSON.parse(body) as unknown;
    } catch {
      return body.trim() || undefined;
    }
  }
  const message = typeof b === 'object' && b !== null ? (b as { message?: unknown }).message : undefined;
  return typeof message === 'string' && message ? message : undefined;
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
  const lastWritten = new Map<string, string>();
  return {
    name: driver.kind,
    async reconcile({ key, epoch, signal }: ReconcileRequest): Promise<ReconcileResult> {
      // Guards.
      const cr = deps.crs.get(key);
      if (!cr || cr.metadata.deletionTimestamp) {
        lastWritten.delete(key);
        return {};
      }
      if (tenantOf(cr.metadata.labels) !== deps.tenant) return {};
      if ((cr.status?.epoch ?? 0) > epoch) return {}; // a newer leader owns this CR now
      if (cr.status?.leader && cr.status.leader !== deps.leader) {
        deps.record?.(cr, 'Normal', 'LeaderChanged', `now reconciled by ${deps.leader} (epoch ${epoch})`);
      }

      // Steps.
      let stalled: Outcome<RefusalReason> | undefined;
      for (const step of driver.steps(cr, epoch, signal)) {
        if (signal.aborted) return {};
        try {
          for (const did of [await step()].flat()) {
            if (did) deps.record?.(cr, 'Normal', did.reason, did.message);
          }
        } catch (err) {
          stalled = stalledBy(err);
          if (!stalled) throw err;
          deps.record?.(cr, 'Warning', stalled.reason, stalled.message);
          break;
        }
      }
      if (signal.aborted) return {};

      // Status.
      const observed = driver.observe(cr);
      const next = buildStatus(
        cr.status as (CommonWorkloadStatus & Partial<S>) | undefined,
        stalled ? { ...observed, stalled, ready: false, phase: 'Stalled', message: stalled.message } : observed,
        {
          generation: cr.metadata.generation ?? 0,
          leader: deps.leader,
          epoch,
          now: now(),
        },
      );
      const written = lastWritten.get(key);
      if (statusChanged(cr.status, next) || (written !== undefined && written !== canonicalJson(next))) {
        await deps.status.patchStatus(cr, next);
        lastWritten.set(key, canonicalJson(next));
      }
      return {};
    },
  };
}
