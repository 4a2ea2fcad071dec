// One reconcile pass of a workload, the same story for every kind: guards (gone, being
// deleted, another tenant's, status from a newer leader), the kind's ordered steps (ensure
// each child), then the status, written once at the end and only when it changed.
import { ApiException } from '@kubernetes/client-node';
import type { KubernetesObject } from '@kubernetes/client-node';
import type { ObjectCache, ReconcileRequest, ReconcileResult, Reconciler } from '../../runtime/types.ts';
import type { ChildWriter } from './apply.ts';
import type { OwnerCR } from './child-meta.ts';
import { tenantOf } from '../../api/labels.ts';
import type { CommonStatus, KindObservation } from './status.ts';
import { buildStatus, canonicalJson, statusChanged } from './status.ts';
import type { StatusWriter } from './status-writer.ts';

/** A CR as the reconciler reads it from the cache. */
export type WorkloadCR = OwnerCR & KubernetesObject & { status?: CommonStatus };

/** What every pass needs besides the key. */
export interface WorkloadDeps<CR extends WorkloadCR> {
  crs: ObjectCache<CR>;
  writer: ChildWriter;
  status: StatusWriter;
  /** The tenant this operator reconciles. */
  tenant: string;
  /** This leader's identity, written into status.leader. */
  leader: string;
  now?: () => Date;
  /** Tells about transitions (child created, repaired, stalled); optional. */
  record?: (cr: CR, type: 'Normal' | 'Warning', reason: string, message: string) => void;
}

/** One reconcile step: it returns what it did ("Reason: message", one or several), or nothing. */
export type Step = () => Promise<string | (string | undefined)[] | undefined>;

/** Steps that do not depend on each other, run at once as one step. */
export function together(...steps: Step[]): Step {
  return async () => (await Promise.all(steps.map((s) => s()))).flat();
}

/** The kind-specific part: the steps that make the children right, and what they show. */
export interface KindDriver<CR extends WorkloadCR, S extends object> {
  readonly kind: string;
  /** Ordered steps; each returns what it did (for events: "Reason: message"), or nothing. */
  steps(cr: Readonly<CR>, epoch: number, signal: AbortSignal): Step[];
  observe(cr: Readonly<CR>): KindObservation<S>;
}

/** A problem that no retry fixes: the API server refused what the spec asks for. */
function stalledBy(err: unknown): { reason: string; message: string } | undefined {
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
export function workloadReconciler<CR extends WorkloadCR, S extends object>(
  driver: KindDriver<CR, S>,
  deps: WorkloadDeps<CR>,
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
      let stalled: { reason: string; message: string } | undefined;
      for (const step of driver.steps(cr, epoch, signal)) {
        if (signal.aborted) return {};
        try {
          for (const did of [await step()].flat()) {
            if (did) deps.record?.(cr, 'Normal', did.split(':')[0]!, did);
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
        cr.status as (CommonStatus & Partial<S>) | undefined,
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
