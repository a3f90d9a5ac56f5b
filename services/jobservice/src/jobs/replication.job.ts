import { ReplicationJobParamsV1 } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { ServiceCallError, type AdapterClient } from '@wharf/http-client';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

export type ReplicationParams = ReplicationJobParamsV1;

/** How often a running copy reports its progress to core (a check-in). */
const PROGRESS_INTERVAL_MS = 1000;

function isDeletion(params: ReplicationParams): boolean {
  try {
    return (JSON.parse(params.dst_resource) as { deleted?: unknown }).deleted === true;
  } catch {
    throw new PermanentJobError('dst_resource is not JSON');
  }
}

/** An answer of the adapter that will not change on a retry (4xx but 408/429) fails the job for good. */
function failureOf(error: unknown): unknown {
  if (error instanceof ServiceCallError && error.permanent) return new PermanentJobError(error.message, { cause: error });
  return error;
}

/**
 * Copies with the adapter's NDJSON answer: progress lines become check-ins (at most one a
 * second, from the first second on, `{"bytes","total"}`), the result line ends the job, an
 * error line fails it.
 */
async function copy(ctx: JobContext, adapter: AdapterClient, params: ReplicationParams): Promise<Record<string, unknown>> {
  // The first check-in after a second of copying: a task done sooner needs none, and one at
  // 0 bytes tells nothing.
  let lastReport = Date.now();
  try {
    for await (const line of adapter.copy({ ...params, speed: Math.max(0, params.speed ?? 0) }, { signal: ctx.signal })) {
      if (line.type === 'result') return line;
      if (line.type === 'error') {
        const message = line.errors?.map((e) => e.message ?? e.code).join('; ') || 'copy failed';
        throw new ServiceCallError('the adapter service', new ApiError('UNKNOWN', { message: `adapter: ${message}`, status: line.status }));
      }
      if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = Date.now();
        await ctx.checkIn(JSON.stringify({ bytes: line.bytes, total: line.total }));
      }
    }
  } catch (error) {
    throw failureOf(error);
  }
  throw new ServiceCallError('the adapter service', new ApiError('UNKNOWN', { message: 'the adapter ended the copy without a result', status: 502 }));
}

/**
 * Hands one replication task to the adapter service: a copy
 * (`POST /api/v1/replications/copy`, progress reported as check-ins) or, for a deleted
 * destination resource, a deletion (`…/replications/delete`).
 */
export function createReplicationJob(deps: { adapter: AdapterClient }): JobType {
  return jobType<ReplicationParams>({
    maxFails: 3,
    concurrency: 10,
    shouldRetry: (error) => !(error instanceof PermanentJobError),
    validate: ReplicationJobParamsV1,
    async run(ctx: JobContext, params: ReplicationParams) {
      if (isDeletion(params)) {
        ctx.logger.info('replication deletion handed to the adapter');
        const answer = await deps.adapter.delete({ src_resource: params.src_resource, dst_resource: params.dst_resource }, { signal: ctx.signal }).catch((error: unknown) => {
          throw failureOf(error);
        });
        ctx.logger.info('replication deletion done', { answer: answer.slice(0, 2000) });
        return;
      }
      ctx.logger.info('replication copy handed to the adapter', { speed: params.speed ?? 0, copyByChunk: params.copy_by_chunk ?? false });
      const result = await copy(ctx, deps.adapter, params);
      ctx.logger.info('replication copy done', { result: JSON.stringify(result).slice(0, 2000) });
    },
  });
}
