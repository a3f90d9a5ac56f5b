import type { Logger } from '@wharf/logging';
import type { Secret } from '@wharf/config';
import { Gauge, Counter, type Registry } from 'prom-client';
import type { RegistryEventsResultV1 } from '@wharf/contracts';
import { backoffDelay, CoreClient } from '@wharf/http-client';
import type { PgEventOutbox } from './event.repository.js';

/** The events of the batch the receiver says it could not apply (id → reason); none for an answer without that list. */
function failedEvents(result: RegistryEventsResultV1 | undefined, sent: ReadonlySet<string>): Map<string, string> {
  return new Map((result?.failed ?? []).filter((f) => sent.has(f.id)).map((f) => [f.id, f.message]));
}

export interface EventNotifierOptions {
  outbox: PgEventOutbox;
  logger: Logger;
  url: string;
  secret: Secret;
  timeoutMs: number;
  batchSize: number;
  /** Idle time between polls when nothing was due. */
  pollIntervalMs: number;
  /** The one backoff's first ceiling and its cap (exponential, full jitter) between deliveries of a batch. */
  minBackoffMs: number;
  maxBackoffMs: number;
  /** Undelivered events older than this are dropped (and counted). */
  maxAgeMs: number;
  metrics?: Registry;
  fetch?: typeof fetch;
  now?: () => Date;
}

/**
 * Delivers queued registry events to the receiver (core's `/service/notifications`) in
 * distribution's envelope, with `Authorization: Harbor-Secret`. A 2xx acknowledges the
 * batch but the events its body lists as `failed` (RegistryEventsResultV1), which alone are
 * retried; anything else, a timeout or a refused connection reschedules the whole batch
 * with the suite's one backoff. Delivery is at least once; every event carries a stable id.
 * Each delivery is one call (CoreClient, no retry of its own): the outbox is the retry.
 */
export class EventNotifier {
  readonly #options: EventNotifierOptions;
  readonly #receiver: CoreClient;
  readonly #now: () => Date;
  readonly #delivered?: Counter;
  readonly #failed?: Counter;
  #running = false;
  #timer: NodeJS.Timeout | undefined;
  #wake: (() => void) | undefined;
  #deferred: NodeJS.Timeout | undefined;
  #loop: Promise<void> | undefined;
  #failureStreak = 0;

  constructor(options: EventNotifierOptions) {
    this.#options = options;
    this.#receiver = new CoreClient({ service: 'the event receiver', baseUrl: options.url, secret: options.secret, timeoutMs: options.timeoutMs, fetch: options.fetch });
    this.#now = options.now ?? (() => new Date());
    if (options.metrics) {
      this.#delivered = new Counter({ name: 'registry_events_delivered_total', help: 'Registry events delivered', registers: [options.metrics] });
      this.#failed = new Counter({ name: 'registry_event_deliveries_failed_total', help: 'Failed event delivery attempts', registers: [options.metrics] });
      const outbox = options.outbox;
      new Gauge({
        name: 'registry_events_queued',
        help: 'Registry events waiting for delivery',
        registers: [options.metrics],
        async collect() {
          this.set(await outbox.depth());
        },
      });
    }
  }

  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#loop = this.#run();
  }

  /**
   * Asks the loop to look for due events: now (after a write queued some), or within
   * `withinMs` (after a pull: pulls arriving meanwhile then go in the same delivery).
   */
  notify(withinMs = 0): void {
    if (withinMs <= 0) {
      this.#wake?.();
      return;
    }
    this.#deferred ??= setTimeout(() => {
      this.#deferred = undefined;
      this.#wake?.();
    }, withinMs);
  }

  async close(): Promise<void> {
    this.#running = false;
    clearTimeout(this.#deferred);
    this.notify();
    await this.#loop;
  }

  async #run(): Promise<void> {
    let lastSweep = 0;
    while (this.#running) {
      let delivered = 0;
      try {
        if (Date.now() - lastSweep > 60_000) {
          lastSweep = Date.now();
          const dropped = await this.#options.outbox.dropOlderThan(new Date(this.#now().getTime() - this.#options.maxAgeMs));
          if (dropped > 0) this.#options.logger.error('undelivered registry events dropped after max age', { count: dropped });
        }
        delivered = await this.deliverDue();
      } catch (error) {
        this.#options.logger.warn('event delivery loop failed', { err: error });
      }
      if (delivered < this.#options.batchSize) await this.#sleep(this.#options.pollIntervalMs);
    }
  }

  /** One round: claims due events, posts them, and acknowledges or reschedules. Returns the batch size. */
  async deliverDue(): Promise<number> {
    const { outbox, batchSize, timeoutMs } = this.#options;
    const batch = await outbox.claimDue(batchSize, timeoutMs * 2 + 1000);
    if (batch.length === 0) return 0;
    const ids = batch.map((entry) => entry.id);
    try {
      const result = await this.#receiver.registryEvents({ events: batch.map((entry) => entry.payload) }, { url: this.#options.url });
      // The receiver may have applied only some: those it names as failed are retried alone.
      const failed = failedEvents(result, new Set(ids));
      await outbox.delete(failed.size > 0 ? ids.filter((id) => !failed.has(id)) : ids);
      this.#delivered?.inc(batch.length - failed.size);
      if (failed.size > 0) {
        const attempts = Math.max(...batch.filter((entry) => failed.has(entry.id)).map((entry) => entry.attempts));
        const delay = this.#backoff(attempts);
        const [firstId, firstMessage] = failed.entries().next().value!;
        await outbox.reschedule([...failed.keys()], delay, firstMessage);
        this.#options.logger.warn('registry events refused by the receiver, will retry', { events: failed.size, of: batch.length, eventId: firstId, reason: firstMessage, retryInMs: delay });
      }
      if (this.#failureStreak > 0) this.#options.logger.info('event delivery recovered', { afterFailures: this.#failureStreak });
      this.#failureStreak = 0;
    } catch (error) {
      this.#failed?.inc();
      this.#failureStreak += 1;
      const attempts = Math.max(...batch.map((entry) => entry.attempts));
      const delay = this.#backoff(attempts);
      await outbox.reschedule(ids, delay, (error as Error).message);
      if (this.#failureStreak === 1 || this.#failureStreak % 20 === 0) {
        this.#options.logger.warn('event delivery failed, will retry', {
          err: error,
          events: batch.length,
          retryInMs: delay,
          failures: this.#failureStreak,
        });
      }
    }
    return batch.length;
  }

  #backoff(attempts: number): number {
    return backoffDelay(attempts + 1, { baseMs: this.#options.minBackoffMs, maxMs: this.#options.maxBackoffMs });
  }

  async #sleep(ms: number): Promise<void> {
    if (!this.#running) return;
    await new Promise<void>((resolve) => {
      this.#wake = () => {
        clearTimeout(this.#timer);
        this.#wake = undefined;
        resolve();
      };
      this.#timer = setTimeout(() => this.#wake?.(), ms);
    });
  }
}
