import { z } from 'zod';
import { postJson, ServiceCallError } from './http-call.js';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

/** GARBAGE_COLLECTION parameters (Harbor's `delete_untagged`, `dry_run`, `workers`, …), passed through. */
export const gcParams = z.looseObject({
  delete_untagged: z.boolean().optional(),
  dry_run: z.boolean().optional(),
  workers: z.number().int().min(1).max(5).optional(),
});
export type GcParams = z.infer<typeof gcParams>;

/** Asks registry-facade to collect garbage (`POST {registryUrl}/internal/gc`); the result is checked in. */
export function createGcJob(deps: { registryUrl: string; secret: string }): JobType {
  return jobType<GcParams>({
    maxFails: 1,
    concurrency: 1,
    shouldRetry: () => false,
    validate: gcParams,
    async run(ctx: JobContext, params: GcParams) {
      ctx.logger.info('garbage collection requested', { registryUrl: deps.registryUrl });
      try {
        const answer = await postJson(`${deps.registryUrl}/internal/gc`, params, { secret: deps.secret, signal: ctx.signal });
        if (answer) await ctx.checkIn(answer);
        ctx.logger.info('garbage collection done');
      } catch (error) {
        const status = error instanceof PermanentJobError && error.cause instanceof ServiceCallError ? error.cause.status : undefined;
        if (status === 404) throw new PermanentJobError('the registry does not offer garbage collection (POST /internal/gc answered 404)');
        throw error;
      }
    },
  });
}
