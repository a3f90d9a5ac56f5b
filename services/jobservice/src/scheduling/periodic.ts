import type { Logger } from '@wharf/logging';
import type { Cron } from 'croner';
import type { JobRepository } from '../jobs/job.repository.js';
import type { Clock, JobPublisher } from '../jobs/ports.js';
import { nextFire, parseCron } from './cron.js';

interface Armed {
  spec: string;
  cron: Cron;
  timer: NodeJS.Timeout | undefined;
}

/**
 * Fires periodic jobs on their cron. Every replica arms a timer per periodic job; each
 * tick is won by exactly one replica (the tick lock in Redis), which creates the
 * execution `<periodic id>@<tick>` linked to its periodic job and publishes it. The set of
 * periodic jobs is re-read every `refreshMs`, so a stopped one stops firing everywhere.
 */
export class PeriodicEnqueuer {
  readonly #deps: { jobs: JobRepository; publisher: JobPublisher; clock: Clock; logger: Logger; refreshMs?: number; onFired?: (id: string) => void };
  readonly #armed = new Map<string, Armed>();
  #timer: NodeJS.Timeout | undefined;
  #closed = false;
  #refreshing: Promise<void> | undefined;

  constructor(deps: { jobs: JobRepository; publisher: JobPublisher; clock: Clock; logger: Logger; refreshMs?: number; onFired?: (id: string) => void }) {
    this.#deps = deps;
  }

  async start(): Promise<void> {
    await this.refresh();
    this.#timer = setInterval(() => void this.refresh(), this.#deps.refreshMs ?? 1000);
    this.#timer.unref();
  }

  close(): void {
    this.#closed = true;
    clearInterval(this.#timer);
    for (const armed of this.#armed.values()) clearTimeout(armed.timer);
    this.#armed.clear();
  }

  /** Re-reads the periodic jobs; one read at a time (while Redis is away, calls wait in the client's offline queue). */
  refresh(): Promise<void> {
    this.#refreshing ??= this.#refresh().finally(() => (this.#refreshing = undefined));
    return this.#refreshing;
  }

  async #refresh(): Promise<void> {
    try {
      const ids = new Set(await this.#deps.jobs.periodicIds());
      for (const [id, armed] of this.#armed) {
        if (!ids.has(id)) {
          clearTimeout(armed.timer);
          this.#armed.delete(id);
        }
      }
      const missing = [...ids].filter((id) => !this.#armed.has(id));
      const records = await this.#deps.jobs.getMany(missing);
      missing.forEach((id, i) => {
        const spec = records[i]?.stats.cron_spec;
        if (!spec) return;
        try {
          const armed: Armed = { spec, cron: parseCron(spec), timer: undefined };
          this.#armed.set(id, armed);
          this.#arm(id, armed, new Date(this.#deps.clock.now()));
        } catch (error) {
          this.#deps.logger.warn('periodic job cron does not parse', { jobId: id, cron: spec, err: error });
        }
      });
    } catch (error) {
      this.#deps.logger.warn('periodic job refresh failed', { err: error });
    }
  }

  #arm(id: string, armed: Armed, after: Date): void {
    if (this.#closed) return;
    const next = nextFire(armed.cron, after);
    if (!next) return;
    const delay = Math.max(0, next.getTime() - this.#deps.clock.now());
    armed.timer = setTimeout(() => {
      if (this.#armed.get(id) !== armed) return;
      this.#arm(id, armed, next);
      void this.#fire(id, Math.floor(next.getTime() / 1000));
    }, delay);
    armed.timer.unref();
  }

  async #fire(id: string, tick: number): Promise<void> {
    const { jobs, publisher, clock, logger } = this.#deps;
    try {
      const leaseMs = clock.now() + 30_000;
      const executionId = await jobs.firePeriodic(id, tick, leaseMs);
      if (!executionId) return;
      const record = await jobs.get(executionId);
      if (!record) return;
      logger.info('periodic job fired', { jobId: id, executionId });
      await publisher.publish(record.stats.name, { id: executionId, revision: record.stats.revision ?? 0 });
      await jobs.published(executionId, leaseMs);
    } catch (error) {
      // The execution stays in the publish schedule; the scheduler publishes it.
      logger.warn('periodic job fire failed', { jobId: id, tick, err: error });
    }
  }
}
