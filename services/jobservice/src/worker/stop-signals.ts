import type { Logger } from '@wharf/logging';
import type { Redis } from 'ioredis';
import type { RedisKeys } from '../jobs/keys.js';

/**
 * Delivers stop requests to the jobs running in this process: at once through Redis
 * pub/sub, and by a poll of the stored stop flags (every `pollMs`) in case a message was
 * missed (a reconnect). Each running job registers its AbortController here.
 */
export class StopSignals {
  readonly #deps: { subscriber: Redis; redis: Redis; keys: RedisKeys; logger: Logger; pollMs: number };
  readonly #running = new Map<string, AbortController>();
  #timer: NodeJS.Timeout | undefined;
  /** One poll at a time: while Redis is away, its calls wait in the client's offline queue. */
  #polling = false;

  constructor(deps: { subscriber: Redis; redis: Redis; keys: RedisKeys; logger: Logger; pollMs?: number }) {
    this.#deps = { ...deps, pollMs: deps.pollMs ?? 500 };
  }

  async start(): Promise<void> {
    const { subscriber, keys } = this.#deps;
    subscriber.on('message', (channel: string, id: string) => {
      if (channel === keys.stopChannel) this.#abort(id);
    });
    await subscriber.subscribe(keys.stopChannel);
    this.#timer = setInterval(() => void this.#poll(), this.#deps.pollMs);
    this.#timer.unref();
  }

  /** A controller for a job starting to run; aborted when a stop is requested. */
  register(id: string): AbortController {
    const controller = new AbortController();
    this.#running.set(id, controller);
    return controller;
  }

  unregister(id: string, controller: AbortController): void {
    if (this.#running.get(id) === controller) this.#running.delete(id);
  }

  async close(): Promise<void> {
    clearInterval(this.#timer);
    await this.#deps.subscriber.quit().catch(() => undefined);
  }

  #abort(id: string): void {
    const controller = this.#running.get(id);
    if (controller && !controller.signal.aborted) controller.abort(new JobStoppedError(id));
  }

  async #poll(): Promise<void> {
    if (this.#running.size === 0 || this.#polling) return;
    this.#polling = true;
    const ids = [...this.#running.keys()];
    try {
      const pipeline = this.#deps.redis.pipeline();
      for (const id of ids) pipeline.hget(this.#deps.keys.job(id), 'stop');
      const results = (await pipeline.exec()) ?? [];
      results.forEach(([, flag], i) => {
        if (flag === '1') this.#abort(ids[i]!);
      });
    } catch (error) {
      this.#deps.logger.warn('stop flag poll failed', { err: error });
    } finally {
      this.#polling = false;
    }
  }
}

/** The reason a stopped job's signal carries. */
export class JobStoppedError extends Error {
  readonly jobId: string;

  constructor(jobId: string) {
    super(`job ${jobId} was stopped`);
    this.name = 'JobStoppedError';
    this.jobId = jobId;
  }
}
