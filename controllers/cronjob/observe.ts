// What a CronJob says about a WorkloadCronJob.
import type { V1CronJob } from '@kubernetes/client-node';
import type { WorkloadCronJobStatus } from '../../api/types.ts';
import type { KindObservation } from '../shared/status.ts';

/** Cron-specific status fields. */
export type CronStatusFields = Pick<WorkloadCronJobStatus, 'lastScheduleTime' | 'lastSuccessfulTime' | 'activeJobs'>;

const iso = (d: Date | string | undefined): string | undefined =>
  d === undefined ? undefined : new Date(d).toISOString();

/** The observation of a cron job from its CronJob (undefined: not created yet). */
export function observeCronJob(cj: V1CronJob | undefined, suspendWanted: boolean): KindObservation<CronStatusFields> {
  if (!cj) {
    return {
      active: false,
      healthy: false,
      ready: false,
      reconciling: true,
      phase: 'Creating',
      reason: 'Creating',
      message: 'creating the CronJob',
      fields: {},
    };
  }
  const lastSchedule = iso(cj.status?.lastScheduleTime);
  const lastSuccess = iso(cj.status?.lastSuccessfulTime);
  const running = cj.status?.active?.length ?? 0;
  const fields: CronStatusFields = {
    ...(lastSchedule ? { lastScheduleTime: lastSchedule } : {}),
    ...(lastSuccess ? { lastSuccessfulTime: lastSuccess } : {}),
    activeJobs: running,
  };
  if (suspendWanted) {
    return {
      active: false,
      healthy: true,
      ready: true,
      reconciling: false,
      phase: 'Suspended',
      reason: 'Suspended',
      message: 'the cron job is suspended',
      fields,
    };
  }
  // Healthy unless the latest scheduled run has finished without succeeding.
  const lastRunFailed =
    lastSchedule !== undefined && running === 0 && (lastSuccess === undefined || lastSuccess < lastSchedule);
  return lastRunFailed
    ? {
        active: true,
        healthy: false,
        ready: true,
        reconciling: false,
        phase: 'Scheduled',
        reason: 'LastRunFailed',
        message: `the run scheduled at ${lastSchedule} did not succeed`,
        fields,
      }
    : {
        active: true,
        healthy: true,
        ready: true,
        reconciling: false,
        phase: running ? 'Running' : 'Scheduled',
        reason: 'Scheduled',
        message: `schedule ${cj.spec?.schedule ?? ''}`,
        fields,
      };
}
