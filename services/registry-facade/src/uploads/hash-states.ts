import type { Digester } from '@wharf/oci';
import { LRUCache } from 'lru-cache';

/**
 * Digesters of open uploads, kept between chunks so that a blob is hashed once, while it
 * streams in. An entry is only good for the exact offset it reached; anything else (a
 * restart, another replica took a chunk, a chunk that failed half-way) means the caller
 * re-hashes the stored prefix instead. Bounded: the least recently stored entries go first.
 */
export class HashStates {
  readonly #entries: LRUCache<string, { offset: number; digester: Digester }>;

  constructor(max = 10_000) {
    this.#entries = new LRUCache({ max });
  }

  /** Removes and returns the digester of `id` if it stands at `offset`. */
  take(id: string, offset: number): Digester | undefined {
    const entry = this.#entries.get(id);
    this.#entries.delete(id);
    return entry && entry.offset === offset ? entry.digester : undefined;
  }

  put(id: string, offset: number, digester: Digester): void {
    this.#entries.set(id, { offset, digester });
  }

  drop(id: string): void {
    this.#entries.delete(id);
  }
}
