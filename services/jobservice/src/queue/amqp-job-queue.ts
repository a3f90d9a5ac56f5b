import type { Logger } from '@wharf/logging';
import { connect, type Channel, type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { QueueUnavailableError } from '../jobs/job.errors.js';
import type { JobPublisher, QueueMessage } from '../jobs/ports.js';

/** What a consumer does with one delivery. */
export interface Delivery {
  /** The message body, undefined when it is not a job message (a poison message). */
  message: QueueMessage | undefined;
  redelivered: boolean;
  /** Acks; a no-op when the channel died meanwhile (the broker redelivers). */
  ack(): void;
  /** Copies the message to the type's `.dlq` (confirmed), then acks it. */
  deadLetter(reason: string): Promise<void>;
}

export type DeliveryHandler = (delivery: Delivery) => Promise<void>;

interface Consumer {
  name: string;
  prefetch: number;
  handler: DeliveryHandler;
}

export interface AmqpJobQueueDeps {
  url: string;
  queuePrefix: string;
  jobNames: readonly string[];
  logger: Logger;
  reconnectDelayMs?: number;
  publishTimeoutMs?: number;
}

/**
 * Jobs on RabbitMQ: a durable queue `<prefix>jobs.<NAME>` per job type with its
 * `.dlq` twin, persistent messages, publisher confirms, one consuming channel per
 * type with prefetch = the type's concurrency. The connection is re-established after a
 * loss (broker restart); consumers are set up again and unacked messages come back.
 */
export class AmqpJobQueue implements JobPublisher {
  readonly #deps: AmqpJobQueueDeps;
  readonly #consumers: Consumer[] = [];
  #model: ChannelModel | undefined;
  #publisher: ConfirmChannel | undefined;
  #inspector: Channel | undefined;
  #closed = false;
  #waiters: (() => void)[] = [];
  #connecting: Promise<void> | undefined;

  constructor(deps: AmqpJobQueueDeps) {
    this.#deps = deps;
  }

  queueName(name: string): string {
    return `${this.#deps.queuePrefix}jobs.${name}`;
  }

  /** Connects (retrying until it works or `close()`). */
  async start(): Promise<void> {
    await this.#connectLoop();
  }

  get connected(): boolean {
    return this.#publisher !== undefined;
  }

  consume(name: string, prefetch: number, handler: DeliveryHandler): void {
    const consumer = { name, prefetch, handler };
    this.#consumers.push(consumer);
    if (this.#model) void this.#startConsumer(this.#model, consumer).catch((error: unknown) => this.#deps.logger.warn('consumer start failed', { err: error, job: name }));
  }

  async publish(name: string, message: QueueMessage): Promise<void> {
    await this.#send(this.queueName(name), Buffer.from(JSON.stringify(message)), {});
  }

  async deadLetterCounts(): Promise<Record<string, number>> {
    const counts: Record<string, number> = {};
    const channel = this.#inspector;
    if (!channel) throw new QueueUnavailableError('the message broker is not connected');
    for (const name of this.#deps.jobNames) {
      counts[name] = (await channel.checkQueue(`${this.queueName(name)}.dlq`)).messageCount;
    }
    return counts;
  }

  async ping(): Promise<void> {
    if (!this.#publisher) throw new Error('not connected to the message broker');
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const wake of this.#waiters.splice(0)) wake();
    await this.#model?.close().catch(() => undefined);
  }

  async #send(queue: string, body: Buffer, headers: Record<string, string>): Promise<void> {
    const channel = this.#publisher ?? (await this.#waitForChannel());
    await new Promise<void>((resolve, reject) => {
      try {
        channel.sendToQueue(queue, body, { persistent: true, contentType: 'application/json', headers }, (error: unknown) =>
          error ? reject(new QueueUnavailableError('the broker did not confirm the message', { cause: error })) : resolve(),
        );
      } catch (error) {
        reject(new QueueUnavailableError('the message broker is not connected', { cause: error }));
      }
    });
  }

  async #waitForChannel(): Promise<ConfirmChannel> {
    const timeoutMs = this.#deps.publishTimeoutMs ?? 5000;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, timeoutMs);
      this.#waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
    if (!this.#publisher) throw new QueueUnavailableError('the message broker is not connected');
    return this.#publisher;
  }

  #connectLoop(): Promise<void> {
    this.#connecting ??= (async () => {
      let delay = this.#deps.reconnectDelayMs ?? 500;
      while (!this.#closed) {
        try {
          await this.#connectOnce();
          return;
        } catch (error) {
          this.#deps.logger.warn('message broker connection failed, retrying', { err: error, delayMs: delay });
          await new Promise((resolve) => setTimeout(resolve, delay));
          delay = Math.min(delay * 2, 5000);
        }
      }
    })().finally(() => (this.#connecting = undefined));
    return this.#connecting;
  }

  async #connectOnce(): Promise<void> {
    const { logger } = this.#deps;
    const model: ChannelModel = await connect(`${this.#deps.url}${this.#deps.url.includes('?') ? '&' : '?'}heartbeat=10`);
    // From the first moment: an 'error' without a listener would end the process.
    model.on('error', (error: Error) => logger.warn('message broker connection error', { err: error }));
    try {
      const setup = await model.createChannel();
      setup.on('error', (error: Error) => logger.warn('queue setup channel error', { err: error }));
      for (const name of this.#deps.jobNames) {
        await setup.assertQueue(this.queueName(name), { durable: true });
        await setup.assertQueue(`${this.queueName(name)}.dlq`, { durable: true });
      }
      await setup.close();
      this.#model = model;
      await this.#openPublisher(model);
      await this.#openInspector(model);
    } catch (error) {
      this.#model = undefined;
      await model.close().catch(() => undefined);
      throw error;
    }
    model.on('close', () => {
      if (this.#model !== model) return;
      this.#model = undefined;
      this.#publisher = undefined;
      this.#inspector = undefined;
      if (this.#closed) return;
      logger.warn('message broker connection lost, reconnecting');
      void this.#connectLoop();
    });
    for (const consumer of this.#consumers) await this.#startConsumer(model, consumer);
    for (const wake of this.#waiters.splice(0)) wake();
    logger.info('message broker connected', { queues: this.#deps.jobNames.length });
  }

  /** True while `model` is the live connection (a channel of an older one must not be reopened). */
  #current(model: ChannelModel): boolean {
    return this.#model === model && !this.#closed;
  }

  /**
   * Runs `reopen` a little after a channel of the live connection closed on its own (a
   * channel error): the channel comes back without dropping the connection.
   */
  #reopenLater(model: ChannelModel, what: string, reopen: () => Promise<void>): void {
    if (!this.#current(model)) return;
    setTimeout(() => {
      // A channel closing with its connection is reopened with the next connection instead.
      if (!this.#current(model)) return;
      this.#deps.logger.warn('message broker channel closed, reopening', { channel: what });
      reopen().catch((error: unknown) => {
        this.#deps.logger.warn('message broker channel reopen failed', { channel: what, err: error });
        this.#reopenLater(model, what, reopen);
      });
    }, this.#deps.reconnectDelayMs ?? 500).unref();
  }

  async #openPublisher(model: ChannelModel): Promise<void> {
    const publisher = await model.createConfirmChannel();
    publisher.on('error', (error: Error) => this.#deps.logger.warn('publisher channel error', { err: error }));
    publisher.on('close', () => {
      if (this.#publisher !== publisher) return;
      this.#publisher = undefined;
      this.#reopenLater(model, 'publisher', async () => {
        await this.#openPublisher(model);
        for (const wake of this.#waiters.splice(0)) wake();
      });
    });
    this.#publisher = publisher;
  }

  async #openInspector(model: ChannelModel): Promise<void> {
    const inspector = await model.createChannel();
    inspector.on('error', (error: Error) => this.#deps.logger.warn('inspector channel error', { err: error }));
    inspector.on('close', () => {
      if (this.#inspector !== inspector) return;
      this.#inspector = undefined;
      this.#reopenLater(model, 'inspector', () => this.#openInspector(model));
    });
    this.#inspector = inspector;
  }

  async #startConsumer(model: ChannelModel, consumer: Consumer): Promise<void> {
    const channel = await model.createChannel();
    channel.on('error', (error: Error) => this.#deps.logger.warn('consumer channel error', { err: error, job: consumer.name }));
    // A consumer channel closed by the broker (a channel error) while the connection lives: consume again.
    channel.on('close', () => this.#reopenLater(model, `consumer ${consumer.name}`, () => this.#startConsumer(model, consumer)));
    await channel.prefetch(consumer.prefetch);
    const dlq = `${this.queueName(consumer.name)}.dlq`;
    await channel.consume(this.queueName(consumer.name), (raw: ConsumeMessage | null) => {
      if (!raw) return; // cancelled by the broker (queue deleted); the next connection consumes again
      let acked = false;
      const ack = (): void => {
        if (acked) return;
        acked = true;
        try {
          channel.ack(raw);
        } catch {
          // the channel is gone: the broker redelivers, and the stored status makes the rerun a no-op
        }
      };
      const delivery: Delivery = {
        message: parseMessage(raw.content),
        redelivered: raw.fields.redelivered,
        ack,
        deadLetter: async (reason) => {
          await this.#send(dlq, raw.content, { 'x-wharf-reason': reason.slice(0, 1000) });
          ack();
        },
      };
      consumer.handler(delivery).catch((error: unknown) => {
        // Handed back to the broker a little later (Redis down, say); the stored status makes a rerun safe.
        this.#deps.logger.warn('job delivery failed, requeued', { err: error, job: consumer.name });
        setTimeout(() => {
          if (acked) return;
          acked = true;
          try {
            channel.nack(raw, false, true);
          } catch {
            // the channel is gone: the broker redelivers anyway
          }
        }, 1000).unref();
      });
    });
  }
}

function parseMessage(content: Buffer): QueueMessage | undefined {
  try {
    const value = JSON.parse(content.toString('utf8')) as Partial<QueueMessage>;
    if (typeof value.id === 'string' && value.id.length > 0 && typeof value.revision === 'number') return { id: value.id, revision: value.revision };
  } catch {
    // a poison message
  }
  return undefined;
}
