import { z } from 'zod';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

export const demoParams = z.strictObject({
  /** How long the job works (honouring stop). */
  sleep_ms: z.number().int().min(0).max(3_600_000).optional(),
  /** Fails (retryably) this many times, then succeeds. */
  fail_times: z.number().int().min(0).max(100).optional(),
  /** Check-ins sent before the work. */
  check_ins: z.array(z.string().max(10_000)).max(100).optional(),
  /** Fails for good (no retry). */
  fail_permanently: z.boolean().optional(),
});
export type DemoParams = z.infer<typeof demoParams>;

/**
 * Harbor's DEMO job, for tests and the benchmark. Idempotent: whatever it did in an earlier
 * run is done again with the same result.
 */
export function createDemoJob(): JobType {
  return jobType<DemoParams>({
    maxFails: 5,
    concurrency: 200,
    shouldRetry: (error) => !(error instanceof PermanentJobError),
    validate: demoParams,
    async run(ctx: JobContext, params: DemoParams) {
      for (const message of params.check_ins ?? []) await ctx.checkIn(message);
      if (params.fail_permanently) throw new PermanentJobError('demo job asked to fail for good');
      if (ctx.fails < (params.fail_times ?? 0)) throw new Error(`demo failure ${ctx.fails + 1} of ${params.fail_times}`);
      if (params.sleep_ms) {
        ctx.logger.info('demo job sleeping', { ms: params.sleep_ms });
        await sleep(params.sleep_ms, ctx.signal);
      }
    },
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason as Error);
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal.reason as Error);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
