// WorkloadCronJob → a batch/v1 CronJob named `<name>`; concurrency Forbid unless asked.
import type { V1CronJob } from '@kubernetes/client-node';
import { childMeta } from '../shared/child-meta.ts';
import type { OwnerCR } from '../shared/child-meta.ts';
import { podTemplate } from '../shared/pod-template.ts';
import type { PodSpecFields } from '../shared/pod-template.ts';

/** A WorkloadCronJob as the controller reads it. */
export interface CronJobCR extends OwnerCR {
  spec: PodSpecFields & {
    schedule: string;
    timeZone?: string;
    suspend?: boolean;
    concurrencyPolicy?: 'Allow' | 'Forbid' | 'Replace';
    startingDeadlineSeconds?: number;
    successfulJobsHistoryLimit?: number;
    failedJobsHistoryLimit?: number;
    restartPolicy?: 'OnFailure' | 'Never';
  };
}

/** The CronJob a WorkloadCronJob should have. */
export function desiredCronJob(cr: CronJobCR, epoch: number): V1CronJob {
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
        metadata: { labels: childMeta(cr, cr.metadata.name, epoch).labels! },
        spec: { template: podTemplate(cr.metadata.name, s, { restartPolicy: s.restartPolicy ?? 'OnFailure' }) },
      },
    },
  };
}
