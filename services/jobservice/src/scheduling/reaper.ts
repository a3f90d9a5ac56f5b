import type { Logger } from '@wharf/logging';
import { isFinalJobStatus } from '@wharf/contracts';
import type { RedisHookRepository } from '../hooks/hook.repository.js';
import type { JobRepository } from '../jobs/job.repository.js';
import type { Clock } from '../jobs/ports.js';
import type { RedisWorkerPools } from '../worker/worker-pool.repository.js';

/**
 * Harbor's reaper: re-queues the unfinished jobs of worker pools that stopped
 * heartbeating, and re-fires the hook of jobs whose acknowledged status lags their
 * status with nothing left in their hook queue.
 */
export class Reaper {
  readonly #deps: { jobs: JobRepository; hooks: RedisHookRepository; pools: RedisWorkerPools; clock: Clock; logger: Logger; intervalMs: number; onRefire?: (id: string) => void };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: { jobs: JobRepository; hooks: RedisHookRepository; pools: RedisWorkerPools; clock: Clock; logger: Logger; intervalMs: number; onRefire?: (id: string) => void }) {
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

  async #requeueDeadPools(): Promise<void> {
    const { pools, jobs, clock, logger } = this.#deps;
    for (const { poolId, jobs: running } of await pools.dead()) {
      const records = await jobs.getMany(running);
      let requeued = 0;
      for (const [i, id] of running.entries()) {
        const record = records[i];
        if (record && !isFinalJobStatus(record.stats.status)) {
          await jobs.schedule(id, clock.now());
          requeued++;
        }
      }
      await pools.forget(poolId);
      logger.warn('dead worker pool reaped', { poolId, requeued });
    }
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
