import { SchedulerJobParamsV1 } from '@wharf/contracts';
import { jobType, type JobContext, type JobType } from './job.js';

export type SchedulerParams = SchedulerJobParamsV1;

/**
 * Harbor's scheduler job: registered as a periodic job by core for a schedule (a scheduled
 * replication policy, GC…); each fire runs this once and checks in, and core's SCHEDULER
 * check-in processor starts the vendor's run (once per fire, by the fire's job id). It does
 * nothing else, so a rerun is harmless.
 */
export function createSchedulerJob(): JobType {
  return jobType<SchedulerParams>({
    maxFails: 1,
    concurrency: 10,
    shouldRetry: () => false,
    validate: SchedulerJobParamsV1,
    async run(ctx: JobContext, params: SchedulerParams) {
      ctx.logger.info('schedule fired', { vendorType: params.vendor_type, vendorId: params.vendor_id });
      await ctx.checkIn('checkin');
    },
  });
}
