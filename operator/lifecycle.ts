// Feeds the start-up and shut-down timers from the caches: this tenant's CRs changing or going
// away, and any child leaving (the leader's Created events start the start-ups, see run.ts).
import type { KubernetesObject } from '@kubernetes/client-node';
import { WORKLOAD_LABEL, inTenant } from '../api/labels.ts';
import { KINDS } from '../api/types.ts';
import type { WorkloadCaches } from '../controllers/caches.ts';
import type { GroupMember } from '../runtime/informer-group.ts';
import type { OperatorMetrics } from '../server/metrics.ts';
import { WorkloadLifecycle } from '../server/workload-lifecycle.ts';

/** The timers, observing into the start-up and shut-down histograms, hooked to the caches. */
export function workloadLifecycle(caches: WorkloadCaches, tenant: string, metrics: OperatorMetrics): WorkloadLifecycle {
  const ours = inTenant(tenant);
  const { pods, services, deployments, statefulSets, cronJobs } = caches;
  const children = [pods, services, deployments, statefulSets, cronJobs] as GroupMember<KubernetesObject>[];
  const remaining = (namespace: string, name: string): number =>
    children.reduce(
      (n, c) =>
        n +
        c.list().filter((o) => o.metadata?.namespace === namespace && o.metadata.labels?.[WORKLOAD_LABEL] === name)
          .length,
      0,
    );
  const life = new WorkloadLifecycle({
    sink: {
      startup: (labels, s) => metrics.startupDuration.observe(labels, s),
      shutdown: (labels, s) => metrics.shutdownDuration.observe(labels, s),
    },
    remaining,
  });
  for (const kind of KINDS) {
    caches.crs[kind].on({
      update: (_old, cr) => {
        if (ours(cr)) life.updated(cr);
      },
      delete: (cr) => {
        if (ours(cr)) life.deleted(cr);
      },
    });
  }
  for (const c of children) c.on({ delete: (obj) => life.childGone(obj) });
  return life;
}
