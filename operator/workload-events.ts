// Where a workload's transitions go besides the Event on its CR: K8 Highlander's workload
// metrics, the live event stream, and one log line per change made or refused.
import { OPERATION_LABEL, errorTypeLabel } from '../api/reasons.ts';
import type { RefusalReason } from '../api/reasons.ts';
import { WORKLOAD_KINDS, isWorkloadKind } from '../api/types.ts';
import type { WorkloadKind } from '../api/types.ts';
import type { EventRecorder } from '../controllers/shared/events.ts';
import type { PassOutcome } from '../controllers/workload-controllers.ts';
import type { Log } from '../runtime/logger.ts';
import { splitKey } from '../runtime/types.ts';
import type { EventHub } from '../server/event-hub.ts';
import type { OperatorMetrics } from '../server/metrics.ts';
import type { WorkloadLifecycle } from '../server/workload-lifecycle.ts';

/** A recorder that writes each transition to `events` (the CR's Event) and to metrics, hub and log. */
export function fanOutEvents(
  events: EventRecorder,
  sinks: { metrics: OperatorMetrics; hub: EventHub; log: Log; lifecycle?: WorkloadLifecycle },
): EventRecorder {
  const { metrics, hub, log, lifecycle } = sinks;
  return (cr, level, reason, message, guard) => {
    const written = events(cr, level, reason, message, guard);
    if (reason === 'Created') lifecycle?.created(cr);
    const type = isWorkloadKind(cr.kind) ? WORKLOAD_KINDS[cr.kind].type : cr.kind;
    const { name, namespace } = cr.metadata;
    if (level === 'Normal') {
      const operation = OPERATION_LABEL[reason as keyof typeof OPERATION_LABEL] ?? reason.toLowerCase();
      metrics.workloadOperations.inc({ type, name, operation });
    } else {
      metrics.workloadErrors.inc({ type, name, error_type: errorTypeLabel(reason as RefusalReason) });
    }
    const at = new Date().toISOString();
    hub.publish({ type: 'event', at, kind: cr.kind, namespace, name, level, reason, message });
    // One line per change made or refused; adoption after a takeover is one line per CR, so debug.
    const fields = { kind: cr.kind, namespace, name, reason, detail: message };
    if (level === 'Warning') log.warn(fields, 'workload stalled');
    else if (reason === 'LeaderChanged') log.debug(fields, 'workload adopted');
    else log.info(fields, reason === 'Repaired' ? 'workload repaired' : 'workload changed');
    return written;
  };
}

/**
 * Counts reconcile outcomes: a failed pass in workload_errors_total (unless leadership ending cut
 * it short), each pass of a key whose previous pass failed and was queued for a retry in
 * workload_retry_attempts_total, and such a pass that succeeds in workload_retry_success_total.
 */
export function countReconcileOutcomes(metrics: OperatorMetrics) {
  const retrying = new Set<string>();
  return (kind: WorkloadKind, pass: PassOutcome): void => {
    const labels = { type: WORKLOAD_KINDS[kind].type, name: splitKey(pass.key).name };
    const id = `${kind}/${pass.key}`;
    const retried = retrying.delete(id);
    if (retried) metrics.retryAttempts.inc(labels);
    if (pass.outcome !== 'error') {
      if (retried) metrics.retrySuccess.inc(labels);
      return;
    }
    if (pass.aborted) return;
    metrics.workloadErrors.inc({ ...labels, error_type: pass.terminal ? 'terminal' : 'reconcile' });
    // Only a retryable failure is queued again (with backoff); a terminal one waits for a change.
    if (!pass.terminal) retrying.add(id);
  };
}
