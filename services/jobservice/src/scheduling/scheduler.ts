import type { Logger } from '@wharf/logging';
import { isFinalJobStatus } from '@wharf/contracts';
import type { JobRepository } from '../jobs/job.repository.js';
import type { Clock, JobPublisher } from '../jobs/ports.js';

const LEASE_MS = 30_000;

/**
 * Publishes jobs whose time came: scheduled jobs, retries after their backoff, periodic
 * executions, re-queued jobs of dead worker pools, and fresh jobs whose first publish did
 * not get through. The schedule is a Redis sorted set, so it survives restarts; a claimed
 * entry is leased, not removed, until the broker confirmed it.
 */
export class Scheduler {
  readonly #deps: { jobs: JobRepository; publisher: JobPublisher; clock: Clock; logger: Logger; intervalMs: number; batch?: number };
  #timer: NodeJS.Timeout | undefined;
  #running: Promise<void> | undefined;

  constructor(deps: { jobs: JobRepository; publisher: JobPublisher; clock: Clock; logger: Logger; intervalMs: number; batch?: number }) {
    this.#deps = deps;
  }

  start(): void {
    this.#timer = setInterval(() => void this.tick(), this.#deps.intervalMs);
    this.#timer.unref();
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#running;
  }

  tick(): Promise<void> {
    this.#running ??= this.#tick().finally(() => (this.#running = undefined));
    return this.#running;
  }

  async #tick(): Promise<void> {
    const { jobs, publisher, clock, logger } = this.#deps;
    try {
      for (;;) {
        const leaseMs = clock.now() + LEASE_MS;
        const ids = await jobs.claimDue(this.#deps.batch ?? 200, leaseMs);
        if (ids.length === 0) return;
        const records = await jobs.getMany(ids);
        await Promise.all(
          ids.map(async (id, i) => {
            const record = records[i];
            if (!record || isFinalJobStatus(record.stats.status) || record.stats.kind === 'Periodic') {
              await jobs.published(id, leaseMs);
              return;
            }
            await publisher.publish(record.stats.name, { id, revision: record.stats.revision ?? 0 });
            await jobs.published(id, leaseMs);
          }),
        );
        if (ids.length < (this.#deps.batch ?? 200)) return;
      }
    } catch (error) {
      logger.warn('scheduled job publishing failed, retrying later', { err: error });
    }
  }
}
