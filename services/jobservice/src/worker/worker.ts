import type { Logger } from '@wharf/logging';
import { isFinalJobStatus, type JobStatus } from '@wharf/contracts';
import type { JobRecord } from '../jobs/job-record.js';
import type { JobRepository, SetStatusResult } from '../jobs/job.repository.js';
import type { JobContext, JobType } from '../jobs/job.js';
import type { Clock } from '../jobs/ports.js';
import type { JobTypes } from '../jobs/registry.js';
import type { JobLog } from '../logs/job-logs.js';
import type { Delivery } from '../queue/amqp-job-queue.js';
import { planFailure, type RetryPolicy } from './failure-policy.js';
import type { LeaseAcquisition, LeaseHolder, RunningJob } from './job-lease.repository.js';
import { JobStoppedError } from './stop-signals.js';

/** The leases the worker takes (RedisJobLeases in production). */
export interface JobLeases {
  acquire(id: string, holder: LeaseHolder, ttlMs: number, replace?: LeaseHolder): Promise<LeaseAcquisition>;
  renew(holder: Omit<LeaseHolder, 'revision'>, jobs: readonly RunningJob[], ttlMs: number): Promise<RunningJob[]>;
  release(id: string, holder: LeaseHolder): Promise<void>;
}

export interface WorkerDeps {
  poolId: string;
  /** This process among the incarnations of its pool (a fresh value per start). */
  instance: string;
  jobs: JobRepository;
  types: JobTypes;
  logs: { open(jobId: string): JobLog };
  stops: { register(id: string): AbortController; unregister(id: string, controller: AbortController): void };
  leases: JobLeases;
  pools: { isAlive(poolId: string): Promise<boolean> };
  clock: Clock;
  logger: Logger;
  retry: RetryPolicy;
  /** A lease's life; renewed by `renewLeases` well before it ends. */
  leaseTtlMs: number;
  /** Called when a job's status changed here, so its hooks go out without waiting for a poll. */
  onStatusChanged?: (jobId: string) => void;
}

/** A running job's signal reason when its lease went to another worker (this process lost Redis for longer than the lease). */
export class LeaseLostError extends Error {
  constructor(jobId: string) {
    super(`job ${jobId} is run by another worker now`);
    this.name = 'LeaseLostError';
  }
}

/** Margin past a dead holder's lease before the job is published again. */
const LEASE_MARGIN_MS = 250;

interface Running extends RunningJob {
  controller: AbortController;
}

/** A run's key among those of this process: a retry (a new revision) may start while the failed run still tidies up. */
const runKey = (id: string, revision: number): string => `${id}@${revision}`;

/**
 * Runs one delivered job (Harbor's `runner`): the job's lease, Running, the job's work, then
 * its final status (or a retry, or the dead-letter queue) — stored before the message is
 * acked. A job runs once at a time: a message for a job another live worker runs is dropped,
 * and one for a job whose worker died (or may have: a redelivery) waits until that worker's
 * lease is due.
 */
export class Worker {
  readonly #deps: WorkerDeps;
  readonly #inFlight = new Set<Promise<void>>();
  readonly #running = new Map<string, Running>();

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

  /**
   * Renews the leases of the jobs running here (with each pool heartbeat). A lease Redis lost
   * is taken again; a job whose lease another worker took meanwhile is abandoned here.
   */
  async renewLeases(): Promise<void> {
    if (this.#running.size === 0) return;
    const runs = [...this.#running.values()];
    const lost = await this.#deps.leases.renew({ poolId: this.#deps.poolId, instance: this.#deps.instance }, runs.map(({ id, revision }) => ({ id, revision })), this.#deps.leaseTtlMs);
    for (const { id, revision } of lost) {
      const running = this.#running.get(runKey(id, revision));
      if (!running || running.controller.signal.aborted) continue;
      this.#deps.logger.warn('job lease taken by another worker, run abandoned', { jobId: id, revision });
      running.controller.abort(new LeaseLostError(id));
    }
  }

  async #handle(delivery: Delivery): Promise<void> {
    const { jobs, types, logger } = this.#deps;
    const message = delivery.message;
    if (!message) {
      logger.warn('poison message sent to the dead-letter queue');
      await delivery.deadLetter('not a job message');
      return;
    }
    if (this.#running.has(runKey(message.id, message.revision))) {
      logger.info('duplicate message of a job running here dropped', { jobId: message.id, revision: message.revision });
      delivery.ack();
      return;
    }
    const record = await jobs.get(message.id);
    if (!record) {
      // Expired, or lost with Redis's state: nothing to run it from. Core reconciles its task.
      logger.warn('message for an unknown job dead-lettered', { jobId: message.id, revision: message.revision });
      await delivery.deadLetter('job not found: its stats expired or were lost');
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
      await this.#setStatus(record, 'Stopped', revision);
      delivery.ack();
      return;
    }
    const type = types.get(stats.name);
    const params = type?.validate.safeParse(stats.parameters ?? {});
    if (!type || !params?.success) {
      const reason = type ? 'invalid parameters' : `unknown job type ${stats.name}`;
      await this.#setStatus(record, 'Error', revision, reason);
      await delivery.deadLetter(reason);
      return;
    }
    const holder: LeaseHolder = { poolId: this.#deps.poolId, instance: this.#deps.instance, revision };
    if (!(await this.#takeLease(message.id, holder, delivery))) return;
    const controller = this.#deps.stops.register(message.id);
    const key = runKey(message.id, revision);
    this.#running.set(key, { id: message.id, revision, controller });
    try {
      await this.#run(record, revision, type, params.data, controller, delivery);
    } finally {
      this.#running.delete(key);
      this.#deps.stops.unregister(message.id, controller);
      await this.#deps.leases.release(message.id, holder).catch((error: unknown) => logger.warn('job lease release failed', { jobId: message.id, err: error }));
    }
  }

  /** Takes the job's lease; otherwise settles the message (dropped, or deferred past a dead holder's lease) and answers false. */
  async #takeLease(id: string, holder: LeaseHolder, delivery: Delivery): Promise<boolean> {
    const { leases, pools, jobs, clock, logger, leaseTtlMs } = this.#deps;
    let taken = await leases.acquire(id, holder, leaseTtlMs);
    if (!taken.acquired && taken.holder.poolId === holder.poolId && taken.holder.instance !== holder.instance) {
      // An earlier process of this pool (it restarted under the same pool id): its run died with it.
      taken = await leases.acquire(id, holder, leaseTtlMs, taken.holder);
    }
    if (taken.acquired) return true;
    const other = taken.holder;
    const here = other.poolId === holder.poolId && other.instance === holder.instance;
    const alive = !here && (await pools.isAlive(other.poolId));
    // A fresh duplicate of a job a live worker runs is dropped. A redelivered message may be
    // its worker's own, come back because that worker died before its pool looked dead: it
    // waits until the lease is due, and is dropped then only if the lease is still renewed.
    if (here || (alive && !delivery.redelivered)) {
      logger.info('job runs in another worker, duplicate message dropped', { jobId: id, revision: holder.revision, holder: other.poolId });
      delivery.ack();
      return false;
    }
    const delayMs = taken.ttlMs + LEASE_MARGIN_MS;
    await jobs.schedule(id, clock.now() + delayMs);
    if (alive) logger.info('job lease held by another worker, redelivered message deferred until it is due', { jobId: id, holder: other.poolId, delayMs });
    else logger.warn('job lease held by a stopped worker pool, run deferred', { jobId: id, holder: other.poolId, delayMs });
    delivery.ack();
    return false;
  }

  async #run(record: JobRecord, revision: number, type: JobType, params: unknown, controller: AbortController, delivery: Delivery): Promise<void> {
    const { jobs } = this.#deps;
    const id = record.stats.id;
    const moved = await this.#setStatus(record, 'Running', revision);
    if (moved === 'refused') {
      delivery.ack();
      return;
    }
    // The record as it stands while the job runs: what re-creates it should Redis lose it.
    const held: JobRecord = { ...record, stats: { ...record.stats, status: 'Running', executions: (record.stats.executions ?? 0) + 1 } };
    const log = this.#deps.logs.open(id);
    const ctx: JobContext = {
      jobId: id,
      signal: controller.signal,
      get logger() {
        return log.logger;
      },
      fails: record.fails,
      checkIn: async (text) => {
        let result = await jobs.checkIn(id, text, revision);
        if (result === 'unknown') {
          await this.#restore(held);
          result = await jobs.checkIn(id, text, revision);
        }
        if (result === 'changed') this.#deps.onStatusChanged?.(id);
      },
    };
    await log.note('job run started', { name: record.stats.name, revision, fails: record.fails, poolId: this.#deps.poolId, redelivered: delivery.redelivered });
    let failure: { error: unknown } | undefined;
    try {
      await type.run(ctx, params);
    } catch (error) {
      failure = { error };
    } finally {
      await log.close();
    }
    if (!failure) {
      await log.note('job run succeeded');
      await this.#setStatus(held, 'Success', revision);
    } else {
      await this.#failed(held, revision, failure.error, controller.signal, type, log, delivery);
    }
    delivery.ack();
  }

  async #failed(held: JobRecord, revision: number, error: unknown, signal: AbortSignal, type: JobType, jobLog: JobLog, delivery: Delivery): Promise<void> {
    const { jobs, clock } = this.#deps;
    const id = held.stats.id;
    if (signal.aborted && signal.reason instanceof JobStoppedError) {
      await jobLog.note('job run stopped');
      await this.#setStatus(held, 'Stopped', revision);
      return;
    }
    if (signal.aborted && signal.reason instanceof LeaseLostError) {
      await jobLog.note('job run abandoned, another worker runs the job');
      return;
    }
    const now = clock.now();
    const plan = planFailure({ error, type, fails: held.fails, outageSince: held.outageSince, nowMs: now, policy: this.#deps.retry });
    await jobLog.note('job run failed', {
      error: plan.message,
      failures: held.fails + (plan.action === 'retry' && plan.outageSince !== undefined ? 0 : 1),
      maxFails: type.maxFails,
      retry: plan.action === 'retry',
      ...(plan.action === 'retry' ? { delayMs: plan.delayMs, outage: plan.outageSince !== undefined } : {}),
    });
    if (plan.action === 'retry') {
      const reason = { message: plan.message, outageSince: plan.outageSince };
      let retried = await jobs.retry(id, revision, now + plan.delayMs, reason);
      if (retried === 'unknown') {
        await this.#restore(held);
        retried = await jobs.retry(id, revision, now + plan.delayMs, reason);
      }
      if (typeof retried === 'number') this.#deps.onStatusChanged?.(id);
      return;
    }
    await this.#setStatus(held, 'Error', revision, plan.message);
    await delivery.deadLetter(plan.message);
  }

  /** Moves the job on; when Redis lost its record meanwhile, re-creates it from `held` first, so the status (and its hook) is not lost. */
  async #setStatus(held: JobRecord, status: JobStatus, revision: number, message?: string): Promise<SetStatusResult> {
    const id = held.stats.id;
    let result = await this.#deps.jobs.setStatus(id, status, revision, message);
    if (result === 'unknown') {
      await this.#restore(held);
      result = await this.#deps.jobs.setStatus(id, status, revision, message);
    }
    if (result === 'changed') this.#deps.onStatusChanged?.(id);
    return result;
  }

  /** Re-creates the record (a no-op when a concurrent call did already). */
  async #restore(held: JobRecord): Promise<void> {
    if (await this.#deps.jobs.restore(held, held.stats.status)) {
      this.#deps.logger.warn('job stats lost while the job ran, re-created from the worker', { jobId: held.stats.id, status: held.stats.status, revision: held.stats.revision });
    }
  }
}
