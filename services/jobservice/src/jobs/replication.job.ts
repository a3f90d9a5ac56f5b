import { z } from 'zod';
import { postJson } from './http-call.js';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

/** REPLICATION parameters as Harbor sends them (HARBOR-FACTS §3a): resources are JSON strings. */
export const replicationParams = z.looseObject({
  src_resource: z.string().min(1),
  dst_resource: z.string().min(1),
  speed: z.number().int().min(0).optional(),
  copy_by_chunk: z.boolean().optional(),
});
export type ReplicationParams = z.infer<typeof replicationParams>;

/** Hands one replication task to the adapter service (`POST {adapterUrl}/api/v1/replications/copy`). */
export function createReplicationJob(deps: { adapterUrl: string; secret: string }): JobType {
  return jobType<ReplicationParams>({
    maxFails: 3,
    concurrency: 10,
    shouldRetry: (error) => !(error instanceof PermanentJobError),
    validate: replicationParams,
    async run(ctx: JobContext, params: ReplicationParams) {
      ctx.logger.info('replication task handed to the adapter', { adapterUrl: deps.adapterUrl });
      const answer = await postJson(`${deps.adapterUrl}/api/v1/replications/copy`, params, { secret: deps.secret, signal: ctx.signal });
      ctx.logger.info('replication task done', { answer: answer.slice(0, 2000) });
    },
  });
}
