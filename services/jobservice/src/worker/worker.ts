import type { Logger } from '@wharf/logging';
import { isFinalJobStatus } from '@wharf/contracts';
import type { JobRepository } from '../jobs/job.repository.js';
import { PermanentJobError, type JobContext } from '../jobs/job.js';
import type { Clock } from '../jobs/ports.js';
import type { JobTypes } from '../jobs/registry.js';
import type { FileJobLogs, JobLog } from '../logs/job-logs.js';
import type { Delivery } from '../queue/amqp-job-queue.js';
import { backoffDelay } from './backoff.js';
import { JobStoppedError, type StopSignals } from './stop-signals.js';
import type { RedisWorkerPools } from './worker-pool.repository.js';

export interface WorkerDeps {
  poolId: string;
  jobs: JobRepository;
  types: JobTypes;
  logs: FileJobLogs;
  stops: StopSignals;
  pools: RedisWorkerPools;
  clock: Clock;
  logger: Logger;
  retry: { baseDelayMs: number; maxDelayMs: number };
  /** Called when a job's status changed here, so its hooks go out without waiting for a poll. */
  onStatusChanged?: (jobId: string) => void;
}

/**
 * Runs one delivered job (Harbor's `runner`): Running, the job's work, then its final
 * status (or a retry, or the dead-letter queue) — stored before the message is acked.
 */
export class Worker {
  readonly #deps: WorkerDeps;
  readonly #inFlight = new Set<Promise<void>>();

  constructor(deps: WorkerDeps) {
    this.#deps = deps;
  }

  get inFlight(): number {
    return this.#inFlight.size;
  }

  handle = (delivery: Delivery): Promise<void> => {
    const run = this.#handle(delivery);
    this.#inFlight.add(run);
    void run.finally(() => this.#inFlight.delete(run)).catch(() => undefined);
    return run;
  };

  /** Waits for running jobs (up to `timeoutMs`), then aborts what is left. */
  async drain(timeoutMs: number): Promise<void> {
    const all = Promise.allSettled([...this.#inFlight]);
    await Promise.race([all, new Promise((resolve) => setTimeout(resolve, timeoutMs).unref())]);
  }

  async #handle(delivery: Delivery): Promise<void> {
    const { jobs, types, logger } = this.#deps;
    const message = delivery.message;
    if (!message) {
      logger.warn('poison message sent to the dead-letter queue');
      await delivery.deadLetter('not a job message');
      return;
    }
    const record = await jobs.get(message.id);
    if (!record) {
      logger.warn('message for an unknown or expired job dropped', { jobId: message.id });
      delivery.ack();
      return;
    }
    const { stats } = record;
    const revision = stats.revision ?? 0;
    // A duplicate for an older revision, or a job already over: nothing to run.
    if (message.revision < revision || isFinalJobStatus(stats.status) || stats.kind === 'Periodic') {
      delivery.ack();
      return;
    }
    if (record.stopRequested) {
      await this.#setStatus(message.id, 'Stopped', revision);
      delivery.ack();
      return;
    }
    const type = types.get(stats.name);
    const params = type?.validate.safeParse(stats.parameters ?? {});
    if (!type || !params?.success) {
      await this.#setStatus(message.id, 'Error', revision);
      await delivery.deadLetter(type ? 'invalid parameters' : `unknown job type ${stats.name}`);
      return;
    }
    const moved = await this.#setStatus(message.id, 'Running', revision);
    if (moved === 'refused' || moved === 'unknown') {
      delivery.ack();
      return;
    }

    const controller = this.#deps.stops.register(message.id);
    const log = this.#deps.logs.open(message.id);
    await this.#deps.pools.running(this.#deps.poolId, message.id, revision);
    const ctx: JobContext = {
      jobId: message.id,
      signal: controller.signal,
      get logger() {
        return log.logger;
      },
      fails: record.fails,
      checkIn: async (text) => {
        if (await jobs.checkIn(message.id, text, revision)) this.#deps.onStatusChanged?.(message.id);
      },
    };
    await log.note('job run started', { name: stats.name, revision, fails: record.fails, redelivered: delivery.redelivered });
    try {
      await type.run(ctx, params.data);
      await log.note('job run succeeded');
      await this.#setStatus(message.id, 'Success', revision);
    } catch (error) {
      await this.#failed(message.id, revision, record.fails, error, controller.signal, type, log, delivery);
    } finally {
      this.#deps.stops.unregister(message.id, controller);
      await log.close();
      await this.#deps.pools.finished(this.#deps.poolId, message.id).catch(() => undefined);
    }
    delivery.ack();
  }

  async #failed(
    id: string,
    revision: number,
    fails: number,
    error: unknown,
    signal: AbortSignal,
    type: { maxFails: number; shouldRetry(error: unknown): boolean },
    jobLog: JobLog,
    delivery: Delivery,
  ): Promise<void> {
    if (signal.aborted && signal.reason instanceof JobStoppedError) {
      await jobLog.note('job run stopped');
      await this.#setStatus(id, 'Stopped', revision);
      return;
    }
    const failures = fails + 1;
    const retry = !(error instanceof PermanentJobError) && type.shouldRetry(error) && failures < type.maxFails;
    await jobLog.note('job run failed', { error: (error as Error)?.message ?? String(error), failures, maxFails: type.maxFails, retry });
    if (retry) {
      const delay = backoffDelay(failures, { baseMs: this.#deps.retry.baseDelayMs, maxMs: this.#deps.retry.maxDelayMs, jitter: 0.2 });
      if ((await this.#deps.jobs.retry(id, revision, this.#deps.clock.now() + delay)) !== undefined) this.#deps.onStatusChanged?.(id);
      return;
    }
    await this.#setStatus(id, 'Error', revision);
    await delivery.deadLetter(`failed ${failures} time(s): ${(error as Error)?.message ?? String(error)}`);
  }

  async #setStatus(id: string, status: 'Running' | 'Success' | 'Error' | 'Stopped', revision: number) {
    const result = await this.#deps.jobs.setStatus(id, status, revision);
    if (result === 'changed') this.#deps.onStatusChanged?.(id);
    return result;
  }
}
