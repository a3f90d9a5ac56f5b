import type { Digester } from '@wharf/oci';

/**
 * Digesters of open uploads, kept between chunks so that a blob is hashed once, while it
 * streams in. An entry is only good for the exact offset it reached; anything else (a
 * restart, another replica took a chunk, a chunk that failed half-way) means the caller
 * re-hashes the stored prefix instead. Bounded: the oldest entries go first.
 */
export class HashStates {
  readonly #entries = new Map<string, { offset: number; digester: Digester }>();
  readonly #max: number;

  constructor(max = 10_000) {
    this.#max = max;
  }

  /** Removes and returns the digester of `id` if it stands at `offset`. */
  take(id: string, offset: number): Digester | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry && entry.offset === offset ? entry.digester : undefined;
  }

  put(id: string, offset: number, digester: Digester): void {
    this.#entries.delete(id);
    this.#entries.set(id, { offset, digester });
    if (this.#entries.size > this.#max) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
  }

  drop(id: string): void {
    this.#entries.delete(id);
  }
}

/** Runs tasks for the same key one after another, and tasks for different keys freely. */
export class KeyedMutex {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
