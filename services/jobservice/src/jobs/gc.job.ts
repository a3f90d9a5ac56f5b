import { GcJobParamsV1 } from '@wharf/contracts';
import { ServiceCallError, type RegistryFacadeClient } from '@wharf/http-client';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

export type GcParams = GcJobParamsV1;

/** Asks registry-facade to collect garbage (`POST /internal/gc`); the result is checked in. */
export function createGcJob(deps: { registry: RegistryFacadeClient }): JobType {
  return jobType<GcParams>({
    maxFails: 1,
    concurrency: 1,
    shouldRetry: () => false,
    validate: GcJobParamsV1,
    async run(ctx: JobContext, params: GcParams) {
      ctx.logger.info('garbage collection requested');
      try {
        const answer = await deps.registry.collectGarbage(params, { signal: ctx.signal });
        if (answer) await ctx.checkIn(answer);
        ctx.logger.info('garbage collection done');
      } catch (error) {
        if (error instanceof ServiceCallError && error.status === 404) throw new PermanentJobError('the registry does not offer garbage collection (POST /internal/gc answered 404)');
        // 4xx (bar 408/429) will not change on a retry.
        if (error instanceof ServiceCallError && error.permanent) throw new PermanentJobError(error.message, { cause: error });
        throw error;
      }
    },
  });
}
