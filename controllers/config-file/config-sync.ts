// The leader's part that keeps config-file workloads applied: once when leadership starts, and
// again whenever one of them is deleted, until leadership ends.
import type { KubeConfig } from '@kubernetes/client-node';
import { SOURCE_LABEL, inTenant } from '../../api/labels.ts';
import { KINDS } from '../../api/types.ts';
import type { HighlanderConfig } from '../../config/config.ts';
import type { Log } from '../../runtime/logger.ts';
import { aborted } from '../../runtime/abort.ts';
import type { Runnable } from '../../runtime/manager.ts';
import type { WorkloadCaches } from '../caches.ts';
import { syncConfigWorkloads } from './config-workloads.ts';

/** A manager part applying the config file's workloads as CRs while leading. */
export function configSync(o: {
  kubeConfig: KubeConfig;
  config: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>;
  caches: WorkloadCaches;
  log: Log;
}): Runnable {
  const ours = inTenant(o.config.tenant);
  let syncing: Promise<void> | undefined;
  const sync = (): Promise<void> =>
    (syncing ??= syncConfigWorkloads(o.kubeConfig, o.config, o.caches.crs)
      .then((problems) => {
        for (const p of problems) o.log.error({ problem: p }, 'config-file workload refused');
      })
      .catch((err: unknown) => o.log.error({ err: String(err) }, 'config-file workloads could not be applied'))
      .finally(() => (syncing = undefined)));
  return {
    name: 'config-workloads',
    needsLeadership: true,
    async run({ signal }) {
      const offs = KINDS.map((kind) =>
        o.caches.crs[kind].on({
          delete: (cr) => {
            if (cr.metadata.labels?.[SOURCE_LABEL] === 'config' && ours(cr)) void sync();
          },
        }),
      );
      try {
        await sync();
        await aborted(signal);
        await syncing; // a pass in flight finishes before leadership is given up
      } finally {
        for (const off of offs) off();
      }
    },
  };
}
