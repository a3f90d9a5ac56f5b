import { randomUUID } from 'node:crypto';
import type { Logger } from '@wharf/logging';
import type { PullEvent } from '../events/event.repository.js';

export interface PullRecorderDeps {
  /** Applies pulls in one transaction (pull counts, pull times, audit), each at most once by its id. */
  apply(pulls: readonly PullEvent[]): Promise<number>;
  logger: Logger;
  /** Most pulls written by one statement (500). */
  maxBatch?: number;
}

export type PullInput = Omit<PullEvent, 'id' | 'at'>;

/**
 * Counts the manifest pulls core serves itself, exactly as the registry's pull events are
 * counted (the same statement, the same audit entries), with group commit: the pulls that
 * arrive while one batch is being written go together in the next, so 32 concurrent GETs
 * cost one transaction, not 32. A GET is answered once its pull is written, so a process
 * killed after answering has counted it; one whose pull cannot be written is still served
 * (a pull is never refused for its statistics) and the failure is logged.
 */
export class PullRecorder {
  readonly #deps: PullRecorderDeps;
  readonly #maxBatch: number;
  #queue: { pull: PullEvent; done: () => void }[] = [];
  #writing = false;

  constructor(deps: PullRecorderDeps) {
    this.#deps = deps;
    this.#maxBatch = deps.maxBatch ?? 500;
  }

  /** Resolves once the pull is written (or could not be). */
  record(input: PullInput): Promise<void> {
    return new Promise((resolve) => {
      this.#queue.push({ pull: { ...input, id: `core-${randomUUID()}`, at: new Date() }, done: resolve });
      if (!this.#writing) void this.#drain();
    });
  }

  async #drain(): Promise<void> {
    this.#writing = true;
    try {
      while (this.#queue.length > 0) {
        const batch = this.#queue.splice(0, this.#maxBatch);
        try {
          await this.#deps.apply(batch.map((entry) => entry.pull));
        } catch (error) {
          this.#deps.logger.warn('manifest pulls not counted', { count: batch.length, err: error });
        }
        for (const entry of batch) entry.done();
      }
    } finally {
      this.#writing = false;
    }
  }
}
