// WorkloadCronJob → a batch/v1 CronJob named `<name>`; concurrency Forbid unless asked.
import type { V1CronJob } from '@kubernetes/client-node';
import { childMeta } from '../shared/child-meta.ts';
import type { Owner } from '../shared/child-meta.ts';
import type { WorkloadCronJob } from '../../api/types.ts';
import { podTemplate } from '../shared/pod-template.ts';
import { childLabels, tenantOf } from '../../api/labels.ts';

/** The CronJob a WorkloadCronJob should have. */
export function desiredCronJob(cr: Owner<WorkloadCronJob>, epoch: number): V1CronJob {
  const s = cr.spec;
  return {
    apiVersion: 'batch/v1',
    kind: 'CronJob',
    metadata: childMeta(cr, cr.metadata.name, epoch),
    spec: {
      schedule: s.schedule,
      ...(s.timeZone ? { timeZone: s.timeZone } : {}),
      suspend: s.suspend ?? false,
      concurrencyPolicy: s.concurrencyPolicy ?? 'Forbid',
      ...(s.startingDeadlineSeconds !== undefined ? { startingDeadlineSeconds: s.startingDeadlineSeconds } : {}),
      successfulJobsHistoryLimit: s.successfulJobsHistoryLimit ?? 3,
      failedJobsHistoryLimit: s.failedJobsHistoryLimit ?? 1,
      jobTemplate: {
        metadata: { labels: childLabels(cr.metadata.name, cr.spec.labels) },
        spec: {
          // A failed pod is replaced once it is gone, never while it still terminates (the Job's
          // default replaces it at once); the new one is held until the leader releases it.
          podReplacementPolicy: 'Failed',
          template: podTemplate(cr.metadata.name, s, {
            restartPolicy: s.restartPolicy ?? 'OnFailure',
            tenant: tenantOf(cr.metadata.labels),
            held: true,
          }),
        },
      },
    },
  };
}
