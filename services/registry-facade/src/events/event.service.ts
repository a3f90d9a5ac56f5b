import { buildManifestEvent, type EventSource, type ManifestEventInput, type RegistryEvent, type RequestOrigin } from './registry-event.js';
import type { PgEventOutbox } from './event.repository.js';

export interface EventServiceDeps {
  outbox: PgEventOutbox;
  source: EventSource;
  /** False when no receiver is configured: no event is built or stored. */
  enabled: boolean;
  now?: () => Date;
}

/** Builds registry events and queues the ones that are not part of a write (pulls). */
export class EventService {
  readonly #deps: EventServiceDeps;

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
    await this.#deps.outbox.addLazily(this.build(inputs, origin));
  }
}
