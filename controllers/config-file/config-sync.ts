// The leader's part that keeps config-file workloads applied: once when leadership starts, and
// again whenever one of them is deleted, until leadership ends.
import { setTimeout as sleep } from 'node:timers/promises';
import type { KubeClient } from '../../runtime/kube-client.ts';
import type { WriteGuard } from '../../runtime/write-guard.ts';
import { childWriter } from '../shared/apply.ts';
import { SOURCE_LABEL, inTenant } from '../../api/labels.ts';
import { KINDS } from '../../api/types.ts';
import type { HighlanderConfig } from '../../config/config.ts';
import type { Log } from '../../runtime/logger.ts';
import { aborted } from '../../runtime/abort.ts';
import type { LeaderContext, Runnable } from '../../runtime/manager.ts';
import type { WorkloadCaches } from '../caches.ts';
import { CONFIG_FIELD_MANAGER, syncConfigWorkloads } from './config-workloads.ts';

/** A manager part applying the config file's workloads as CRs while leading. */
export function configSync(o: {
  client: KubeClient;
  config: Pick<HighlanderConfig, 'workloads' | 'namespace' | 'tenant'>;
  caches: WorkloadCaches;
  log: Log;
}): Runnable {
  const ours = inTenant(o.config.tenant);
  const writer = childWriter(o.client, CONFIG_FIELD_MANAGER);
  let syncing: Promise<void> | undefined;
  /** Applies and prunes until nothing is left to retry (backing off), or leadership ends. */
  const syncUntilDone = async (guard: WriteGuard): Promise<void> => {
    for (let delay = 200; !guard.signal.aborted; delay = Math.min(delay * 2, 5000)) {
      const { problems, retry } = await syncConfigWorkloads(writer, guard, o.config, o.caches.crs);
      for (const p of problems) o.log.error({ problem: p }, 'config-file workload refused');
      if (!retry) return;
      await sleep(delay, undefined, { signal: guard.signal }).catch(() => undefined);
    }
  };
  const sync = (guard: WriteGuard): Promise<void> =>
    (syncing ??= syncUntilDone(guard)
      .catch((err: unknown) => o.log.error({ err: String(err) }, 'config-file workloads could not be applied'))
      .finally(() => (syncing = undefined)));
  return {
    name: 'config-workloads',
    needsLeadership: true,
    async run(ctx) {
      const guard = ctx as LeaderContext;
      const offs = KINDS.map((kind) =>
        o.caches.crs[kind].on({
          delete: (cr) => {
            if (cr.metadata.labels?.[SOURCE_LABEL] === 'config' && ours(cr)) void sync(guard);
          },
        }),
      );
      try {
        await sync(guard);
        await aborted(guard.signal);
        await syncing; // a pass in flight finishes before leadership is given up
      } finally {
        for (const off of offs) off();
      }
    },
  };
}
