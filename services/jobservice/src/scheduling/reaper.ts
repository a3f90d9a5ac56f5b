import type { Logger } from '@wharf/logging';
import { isFinalJobStatus } from '@wharf/contracts';
import type { RedisHookRepository } from '../hooks/hook.repository.js';
import type { JobRepository } from '../jobs/job.repository.js';
import type { Clock } from '../jobs/ports.js';
import type { RedisJobLeases } from '../worker/job-lease.repository.js';
import type { RedisWorkerPools } from '../worker/worker-pool.repository.js';

export interface ReaperDeps {
  jobs: JobRepository;
  hooks: RedisHookRepository;
  pools: RedisWorkerPools;
  leases: Pick<RedisJobLeases, 'holder'>;
  clock: Clock;
  logger: Logger;
  intervalMs: number;
  onRefire?: (id: string) => void;
}

/** Margin past a dead holder's lease before its job is published again. */
const LEASE_MARGIN_MS = 250;

/**
 * Harbor's reaper: re-queues the unfinished jobs of worker pools that stopped
 * heartbeating — unless a live worker holds the job's lease (it runs it already), and not
 * before the dead pool's lease ran out — and re-fires the hook of jobs whose acknowledged
 * status lags their status with nothing left in their hook queue.
 */
export class Reaper {
  readonly #deps: ReaperDeps;
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: ReaperDeps) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer = setInterval(() => void this.run(), this.#deps.intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  run(): Promise<void> {
    this.#running ??= this.#run().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #run(): Promise<void> {
    try {
      await this.#requeueDeadPools();
      await this.#refireLaggingHooks();
    } catch (error) {
      this.#deps.logger.warn('reaper run failed', { err: error });
    }
  }

  /**
   * At start: the jobs an earlier process of this same pool left running (it restarted under
   * the same pool id, so its pool never looked dead) are re-queued like a dead pool's.
   */
  async adoptOrphans(poolId: string): Promise<void> {
    const { pools, logger } = this.#deps;
    const running = await pools.runningJobs(poolId);
    if (running.size === 0) return;
    const requeued = await this.#requeue(poolId, running);
    await pools.clearRunning(poolId);
    logger.warn('jobs of an earlier process of this worker pool re-queued', { poolId, requeued });
  }

  async #requeueDeadPools(): Promise<void> {
    const { pools, logger } = this.#deps;
    for (const { poolId, jobs: running } of await pools.dead()) {
      const requeued = await this.#requeue(poolId, running);
      await pools.forget(poolId);
      if (requeued > 0) logger.warn('dead worker pool reaped', { poolId, requeued });
      else logger.info('dead worker pool reaped', { poolId, requeued });
    }
  }

  /** Re-queues the unfinished jobs (id → revision) `poolId` ran, unless a live worker runs them now; returns how many. */
  async #requeue(poolId: string, running: ReadonlyMap<string, number>): Promise<number> {
    const { pools, jobs, leases, clock } = this.#deps;
    const ids = [...running.keys()];
    const records = await jobs.getMany(ids);
    let requeued = 0;
    for (const [i, id] of ids.entries()) {
      const record = records[i];
      // Gone, over, or already retried in a newer revision (then it is in the schedule).
      if (!record || isFinalJobStatus(record.stats.status) || (record.stats.revision ?? 0) !== running.get(id)) continue;
      const lease = await leases.holder(id, running.get(id)!);
      let dueMs = clock.now();
      if (lease) {
        if (lease.holder.poolId !== poolId && (await pools.isAlive(lease.holder.poolId))) continue;
        dueMs += lease.ttlMs + LEASE_MARGIN_MS;
      }
      await jobs.schedule(id, dueMs);
      requeued++;
    }
    return requeued;
  }

  async #refireLaggingHooks(): Promise<void> {
    const { hooks, jobs, clock } = this.#deps;
    const now = clock.now();
    const ids = await hooks.unackedBefore(now - this.#deps.intervalMs, 1000);
    const records = await jobs.getMany(ids);
    for (const [i, id] of ids.entries()) {
      const record = records[i];
      if (!record?.hookUrl || record.stats.hook_status === 'expired' || record.stats.hook_status?.startsWith('failed')) {
        await hooks.forgetUnacked(id);
        continue;
      }
      const { status, revision = 0, ack } = record.stats;
      if (ack && ack.status === status && ack.revision === revision) {
        await hooks.forgetUnacked(id);
        continue;
      }
      if ((await hooks.pendingCount(id)) > 0) continue; // still being delivered
      await hooks.refire(id, { status, revision }, now);
      this.#deps.onRefire?.(id);
    }
  }
}
