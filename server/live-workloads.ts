// Workload changes as the live views show them: one `workload` event on the hub per change a
// person would see (our own status rewrites and resyncs that change nothing are not news).
import { isWorkloadKind } from '../api/types.ts';
import type { Workload } from '../api/types.ts';
import type { InformerHandlers } from '../runtime/types.ts';
import type { EventHub } from './event-hub.ts';
import { summarize, viewOf } from './workload-summary.ts';

/** Cache handlers that publish this tenant's workload changes to `hub`. */
export function publishWorkloads(hub: EventHub, ours: (cr: Readonly<Workload>) => boolean): InformerHandlers<Workload> {
  const shown = new Map<string, string>();
  const publish = (change: 'added' | 'updated' | 'deleted', cr: Readonly<Workload>): void => {
    if (!isWorkloadKind(cr.kind)) return;
    const key = `${cr.kind}/${cr.metadata.namespace}/${cr.metadata.name}`;
    if (!ours(cr)) {
      if (change !== 'updated' || !shown.has(key)) return;
      change = 'deleted'; // relabelled away to another tenant
    }
    const workload = viewOf(summarize(cr.kind, cr));
    const text = JSON.stringify(workload);
    if (change === 'deleted') shown.delete(key);
    else if (shown.get(key) === text) return;
    else shown.set(key, text);
    hub.publish({ type: 'workload', at: new Date().toISOString(), change, workload });
  };
  return {
    add: (cr) => publish('added', cr),
    update: (_prev, cr) => publish('updated', cr),
    delete: (cr) => publish('deleted', cr),
  };
}
