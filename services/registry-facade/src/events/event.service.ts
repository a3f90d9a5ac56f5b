import { buildManifestEvent, type EventSource, type ManifestEventInput, type RegistryEvent, type RequestOrigin } from './registry-event.js';
import type { PgEventOutbox } from './event.repository.js';

export interface EventServiceDeps {
  outbox: PgEventOutbox;
  source: EventSource;
  /** False when no receiver is configured: no event is built or stored. */
  enabled: boolean;
  now?: () => Date;
}

interface Waiting {
  events: RegistryEvent[];
  done: (error?: Error) => void;
}

/** Most events one grouped write stores. */
const GROUP_LIMIT = 500;

/**
 * Builds registry events and queues the ones that are not part of a write (pulls). Pulls
 * are stored in groups: while one group is being written, the pulls that arrive wait and
 * go together in the next write (one statement for all), so under load a pull costs a
 * share of a write instead of one of its own, and alone it waits for nobody.
 */
export class EventService {
  readonly #deps: EventServiceDeps;
  readonly #waiting: Waiting[] = [];
  #writing: Promise<void> | undefined;

  constructor(deps: EventServiceDeps) {
    this.#deps = deps;
  }

  get enabled(): boolean {
    return this.#deps.enabled;
  }

  /** Events for these manifest changes; none when events are off. */
  build(inputs: readonly ManifestEventInput[], origin: RequestOrigin): RegistryEvent[] {
    if (!this.#deps.enabled) return [];
    const now = this.#deps.now?.() ?? new Date();
    return inputs.map((input) => buildManifestEvent(input, origin, this.#deps.source, now));
  }

  /** Queues events on their own (pulls; writes queue theirs inside their transaction instead). */
  async record(inputs: readonly ManifestEventInput[], origin: RequestOrigin): Promise<void> {
    const events = this.build(inputs, origin);
    if (events.length === 0) return;
    await new Promise<void>((resolve, reject) => {
      this.#waiting.push({ events, done: (error) => (error === undefined ? resolve() : reject(error)) });
      this.#writing ??= this.#writeGroups();
    });
  }

  /** Resolves once every event recorded so far is stored (or has failed). */
  async flushed(): Promise<void> {
    await this.#writing;
  }

  async #writeGroups(): Promise<void> {
    try {
      while (this.#waiting.length > 0) {
        const group: Waiting[] = [];
        let count = 0;
        while (this.#waiting.length > 0 && count < GROUP_LIMIT) {
          const next = this.#waiting.shift()!;
          group.push(next);
          count += next.events.length;
        }
        try {
          await this.#deps.outbox.addLazily(group.flatMap((waiting) => waiting.events));
          for (const waiting of group) waiting.done();
        } catch (error) {
          const failure = error instanceof Error ? error : new Error(`events not stored: ${String(error)}`);
          for (const waiting of group) waiting.done(failure);
        }
      }
    } finally {
      this.#writing = undefined;
    }
  }
}
