import type { Redis } from 'ioredis';
import type { Logger } from '@wharf/logging';

/** Drops what it remembers of a name when told of a change; everything when announcements may have been missed. */
export interface ChangeListener {
  forget(name: string): void;
  clear(): void;
}

export type ProjectChangeListener = ChangeListener;

/**
 * Announces changes to every core replica over Redis pub/sub (channel `<prefix><topic>`, by
 * default `project-changed` with the project's name as the message; `repository-changed` with
 * the repository's name for manifests and tags), so that each drops what it remembers of it. The local listener hears of a change at once; a lost
 * subscription makes every listener forget everything, as announcements may have been missed.
 */
export class ProjectChanges {
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;
  readonly #listeners: ChangeListener[] = [];
  readonly #logger: Logger;

  constructor(deps: { redis: Redis; prefix: string; logger: Logger; topic?: string }) {
    this.#publisher = deps.redis;
    this.#subscriber = deps.redis.duplicate();
    this.#channel = `${deps.prefix}${deps.topic ?? 'project-changed'}`;
    this.#logger = deps.logger;
    this.#subscriber.on('message', (_channel: string, name: string) => {
      for (const listener of this.#listeners) listener.forget(name);
    });
    // Announcements sent while the subscription was down are lost: forget everything.
    this.#subscriber.on('ready', () => this.#clearAll());
    this.#subscriber.on('close', () => this.#clearAll());
    this.#subscriber.on('error', (error: Error) => this.#logger.warn('change subscription problem', { channel: this.#channel, err: error }));
  }

  listen(listener: ChangeListener): void {
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
      this.#logger.warn('change not announced; other replicas see it when their entry expires', { channel: this.#channel, name, err: error });
    }
  }

  close(): void {
    this.#subscriber.disconnect();
  }

  #clearAll(): void {
    for (const listener of this.#listeners) listener.clear();
  }
}
