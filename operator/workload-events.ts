// Where a workload's transitions go besides the Event on its CR: K8 Highlander's workload
// metrics, the live event stream, and one log line per change made or refused.
import { OPERATION_LABEL, errorTypeLabel } from '../api/reasons.ts';
import type { RefusalReason } from '../api/reasons.ts';
import { WORKLOAD_KINDS, isWorkloadKind } from '../api/types.ts';
import type { WorkloadKind } from '../api/types.ts';
import type { EventRecorder } from '../controllers/shared/events.ts';
import type { Log } from '../runtime/logger.ts';
import { splitKey } from '../runtime/types.ts';
import type { EventHub } from '../server/event-hub.ts';
import type { OperatorMetrics } from '../server/metrics.ts';

/** A recorder that writes each transition to `events` (the CR's Event) and to metrics, hub and log. */
export function fanOutEvents(
  events: EventRecorder,
  sinks: { metrics: OperatorMetrics; hub: EventHub; log: Log },
): EventRecorder {
  const { metrics, hub, log } = sinks;
  return (cr, level, reason, message, guard) => {
    const written = events(cr, level, reason, message, guard);
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

/** Counts a failed reconcile pass in workload_errors_total. */
export function countReconcileErrors(metrics: OperatorMetrics) {
  return (kind: WorkloadKind, key: string, terminal: boolean): void => {
    const labels = { type: WORKLOAD_KINDS[kind].type, name: splitKey(key).name };
    metrics.workloadErrors.inc({ ...labels, error_type: terminal ? 'terminal' : 'reconcile' });
  };
}
