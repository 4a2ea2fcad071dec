// WorkloadCronJob: one batch/v1 CronJob, kept to the spec (edits and suspend applied).
import type { V1CronJob } from '@kubernetes/client-node';
import type { ObjectCache } from '../../runtime/types.ts';
import type { ChildWriter } from '../shared/apply.ts';
import { ensureStep } from '../shared/ensure-step.ts';
import type { WorkloadCronJob } from '../../api/types.ts';
import type { KindDriver } from '../shared/workload-reconciler.ts';
import { desiredCronJob } from './desired.ts';
import { observeCronJob } from './observe.ts';
import type { CronStatusFields } from './observe.ts';

/** The cron job kind's steps and observation. */
export function cronJobDriver(
  cronJobs: ObjectCache<V1CronJob>,
  writer: ChildWriter,
): KindDriver<WorkloadCronJob, CronStatusFields> {
  return {
    kind: 'WorkloadCronJob',
    steps: (cr, guard) => [ensureStep(writer, cronJobs, desiredCronJob(cr, guard.epoch), guard)],
    observe: (cr) =>
      observeCronJob(cronJobs.get(`${cr.metadata.namespace}/${cr.metadata.name}`), cr.spec.suspend ?? false),
  };
}
