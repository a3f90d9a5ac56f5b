import type { Redis } from 'ioredis';
import type { Logger } from '@wharf/logging';

export interface ProjectChangeListener {
  forget(name: string): void;
  clear(): void;
}

/**
 * Announces project changes to every core replica over Redis pub/sub (channel
 * `<prefix>project-changed`, the project's name as the message), so that each drops what it
 * remembers of the project. The local listener hears of a change at once; a lost
 * subscription makes every listener forget everything, as announcements may have been missed.
 */
export class ProjectChanges {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #listeners: ProjectChangeListener[] = [];
  readonly #logger: Logger;

  constructor(deps: { redis: Redis; prefix: string; logger: Logger }) {
    this.#publisher = deps.redis;
    this.#subscriber = deps.redis.duplicate();
    this.#channel = `${deps.prefix}project-changed`;
    this.#logger = deps.logger;
    this.#subscriber.on('message', (_channel: string, name: string) => {
      for (const listener of this.#listeners) listener.forget(name);
    });
    // Announcements sent while the subscription was down are lost: forget everything.
    this.#subscriber.on('ready', () => this.#clearAll());
    this.#subscriber.on('close', () => this.#clearAll());
    this.#subscriber.on('error', (error: Error) => this.#logger.warn('project change subscription problem', { err: error }));
  }

  listen(listener: ProjectChangeListener): void {
    this.#listeners.push(listener);
  }

  async start(): Promise<void> {
    await this.#subscriber.subscribe(this.#channel);
  }

  /** Tells every core (this one at once) that the project changed. */
  async announce(name: string): Promise<void> {
    for (const listener of this.#listeners) listener.forget(name);
    try {
      await this.#publisher.publish(this.#channel, name);
    } catch (error) {
      this.#logger.warn('project change not announced; other replicas see it when their entry expires', { project: name, err: error });
    }
  }

  close(): void {
    this.#subscriber.disconnect();
  }

  #clearAll(): void {
    for (const listener of this.#listeners) listener.clear();
  }
}
