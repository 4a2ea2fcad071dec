// WorkloadCronJob: one batch/v1 CronJob, kept to the spec (edits and suspend applied).
import type { V1CronJob, V1Pod } from '@kubernetes/client-node';
import type { CacheIndex } from '../../runtime/index.ts';
import { keyOf } from '../../runtime/types.ts';
import { releaseStep } from '../shared/singleton-release.ts';
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
  pods: CacheIndex<V1Pod>,
  writer: ChildWriter,
): KindDriver<WorkloadCronJob, CronStatusFields> {
  return {
    kind: 'WorkloadCronJob',
    steps: (cr, guard) => [
      ensureStep(writer, cronJobs, desiredCronJob(cr, guard.epoch), guard),
      // One run's pod at a time, unless runs may overlap by the spec's own choice.
      releaseStep(writer, pods, keyOf(cr), cr.spec.concurrencyPolicy === 'Allow' ? Infinity : 1, guard),
    ],
    observe: (cr) =>
      observeCronJob(cronJobs.get(`${cr.metadata.namespace}/${cr.metadata.name}`), cr.spec.suspend ?? false),
  };
}
