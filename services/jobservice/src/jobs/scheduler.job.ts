import { z } from 'zod';
import { jobType, type JobContext, type JobType } from './job.js';

/** SCHEDULER parameters: whose schedule fired (Harbor's `scheduler.PeriodicJob`). */
export const schedulerParams = z.looseObject({
  vendor_type: z.string().min(1),
  vendor_id: z.number().int(),
});
export type SchedulerParams = z.infer<typeof schedulerParams>;

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
    validate: schedulerParams,
    async run(ctx: JobContext, params: SchedulerParams) {
      ctx.logger.info('schedule fired', { vendorType: params.vendor_type, vendorId: params.vendor_id });
      await ctx.checkIn('checkin');
    },
  });
}
