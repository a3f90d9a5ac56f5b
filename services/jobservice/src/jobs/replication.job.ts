import { harborSecretHeader } from '@wharf/contracts';
import { z } from 'zod';
import { postJson, ServiceCallError } from './http-call.js';
import { jobType, PermanentJobError, type JobContext, type JobType } from './job.js';

/** REPLICATION parameters as Harbor sends them (HARBOR-FACTS §3a): resources are JSON strings. */
export const replicationParams = z.looseObject({
  src_resource: z.string().min(1),
  dst_resource: z.string().min(1),
  /** KiB/s per task; Harbor's -1 and 0 both mean unlimited. */
  speed: z.number().int().min(-1).optional(),
  copy_by_chunk: z.boolean().optional(),
});
export type ReplicationParams = z.infer<typeof replicationParams>;

/** How often a running copy reports its progress to core (a check-in). */
const PROGRESS_INTERVAL_MS = 1000;

/** One line of the adapter's NDJSON copy answer. */
const copyLine = z.discriminatedUnion('type', [
  z.looseObject({ type: z.literal('progress'), bytes: z.number(), total: z.number().optional() }),
  z.looseObject({ type: z.literal('result'), bytes: z.number().optional() }),
  z.looseObject({ type: z.literal('error'), status: z.number().int(), errors: z.array(z.looseObject({ code: z.string().optional(), message: z.string().optional() })).optional() }),
]);

function isDeletion(params: ReplicationParams): boolean {
  try {
    return (JSON.parse(params.dst_resource) as { deleted?: unknown }).deleted === true;
  } catch {
    throw new PermanentJobError('dst_resource is not JSON');
  }
}

/** The failure an adapter error stands for: 4xx but 408/429 will not change on a retry. */
function failureOf(status: number, message: string): Error {
  if (status >= 400 && status < 500 && status !== 408 && status !== 429) return new PermanentJobError(message, { cause: new ServiceCallError(message, status) });
  return new ServiceCallError(message, status);
}

/**
 * Copies with the adapter's NDJSON answer: progress lines become check-ins (at most one a
 * second, from the first second on, `{"bytes","total"}`), the result line ends the job, an
 * error line fails it.
 */
async function copy(ctx: JobContext, url: string, params: ReplicationParams, secret: string): Promise<Record<string, unknown>> {
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', Accept: 'application/x-ndjson', Authorization: harborSecretHeader(secret) },
      body: JSON.stringify({ ...params, speed: Math.max(0, params.speed ?? 0) }),
      signal: ctx.signal,
    });
  } catch (error) {
    if (ctx.signal.aborted) throw error;
    throw new Error(`cannot reach ${new URL(url).origin}: ${(error as Error).message}`, { cause: error });
  }
  if (!response.ok || !response.body) throw failureOf(response.status, `${new URL(url).pathname} answered ${response.status}: ${(await response.text()).slice(0, 500)}`);
  const lines = response.body.pipeThrough(new TextDecoderStream());
  const reader = lines[Symbol.asyncIterator]();
  try {
    return await readCopyLines(ctx, reader);
  } finally {
    // Done early (a result or an error line, a failed check-in): the rest of the answer is not read.
    await reader.return?.().catch(() => undefined);
  }
}

async function readCopyLines(ctx: JobContext, reader: AsyncIterator<string>): Promise<Record<string, unknown>> {
  // The first check-in after a second of copying: a task done sooner needs none, and one at
  // 0 bytes tells nothing.
  let lastReport = Date.now();
  let buffered = '';
  for (;;) {
    let next: IteratorResult<string>;
    try {
      next = await reader.next();
    } catch (error) {
      if (ctx.signal.aborted) throw error;
      // The connection broke off mid-copy (the adapter restarted, say): an outage, retried.
      throw new Error(`the adapter's copy answer broke off: ${(error as Error).message}`, { cause: error });
    }
    if (next.done) break;
    buffered += next.value;
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const text = buffered.slice(0, newline).trim();
      buffered = buffered.slice(newline + 1);
      if (!text) continue;
      const line = copyLine.safeParse(JSON.parse(text));
      if (!line.success) continue;
      if (line.data.type === 'result') return line.data;
      if (line.data.type === 'error') {
        const message = line.data.errors?.map((e) => e.message ?? e.code).join('; ') || 'copy failed';
        throw failureOf(line.data.status, `adapter: ${message}`);
      }
      if (Date.now() - lastReport >= PROGRESS_INTERVAL_MS) {
        lastReport = Date.now();
        await ctx.checkIn(JSON.stringify({ bytes: line.data.bytes, total: line.data.total }));
      }
    }
  }
  throw new ServiceCallError('the adapter ended the copy without a result', 502);
}

/**
 * Hands one replication task to the adapter service: a copy
 * (`POST {adapterUrl}/api/v1/replications/copy`, progress reported as check-ins) or, for a
 * deleted destination resource, a deletion (`…/replications/delete`).
 */
export function createReplicationJob(deps: { adapterUrl: string; secret: string }): JobType {
  return jobType<ReplicationParams>({
    maxFails: 3,
    concurrency: 10,
    shouldRetry: (error) => !(error instanceof PermanentJobError),
    validate: replicationParams,
    async run(ctx: JobContext, params: ReplicationParams) {
      if (isDeletion(params)) {
        ctx.logger.info('replication deletion handed to the adapter', { adapterUrl: deps.adapterUrl });
        const answer = await postJson(`${deps.adapterUrl}/api/v1/replications/delete`, { src_resource: params.src_resource, dst_resource: params.dst_resource }, { secret: deps.secret, signal: ctx.signal });
        ctx.logger.info('replication deletion done', { answer: answer.slice(0, 2000) });
        return;
      }
      ctx.logger.info('replication copy handed to the adapter', { adapterUrl: deps.adapterUrl, speed: params.speed ?? 0, copyByChunk: params.copy_by_chunk ?? false });
      const result = await copy(ctx, `${deps.adapterUrl}/api/v1/replications/copy`, params, deps.secret);
      ctx.logger.info('replication copy done', { result: JSON.stringify(result).slice(0, 2000) });
    },
  });
}
