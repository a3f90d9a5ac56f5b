import { LRUCache } from 'lru-cache';
import type { ProjectGateInfo } from './project.store.js';

export interface ProjectGateCacheOptions {
  load: (name: string) => Promise<ProjectGateInfo | undefined>;
  /** The longest an entry is used, even if no change is ever announced. */
  ttlMs: number;
  maxEntries: number;
  now?: () => number;
}

/**
 * The /v2 gate's view of projects (existence, creation time, policies), asked on every
 * registry request, kept in memory and dropped on every change: each core announces the
 * projects it creates, changes or deletes (see project-changes.ts) and every core forgets
 * them on receipt, itself at once. A load that began before a change is not kept (a
 * generation counter), unknown names are remembered too (bounded: least recently used out
 * first), and nothing is used longer than `ttlMs`.
 */
export class ProjectGateCache {
  readonly #options: ProjectGateCacheOptions;
  readonly #entries: LRUCache<string, { info: ProjectGateInfo | undefined; until: number }>;
  #generation = 0;

  constructor(options: ProjectGateCacheOptions) {
    this.#options = options;
    this.#entries = new LRUCache({ max: options.maxEntries });
  }

  async get(name: string): Promise<ProjectGateInfo | undefined> {
    const now = this.#options.now?.() ?? Date.now();
    const known = this.#entries.get(name);
    if (known && known.until > now) return known.info;
    if (known) this.#entries.delete(name);
    const generation = this.#generation;
    const info = await this.#options.load(name);
    if (generation === this.#generation) this.#entries.set(name, { info, until: now + this.#options.ttlMs });
    return info;
  }

  /** The project changed: the next request reads it anew. */
  forget(name: string): void {
    this.#generation += 1;
    this.#entries.delete(name);
  }

  /** Changes may have been missed (the announcements' connection was lost): forget everything. */
  clear(): void {
    this.#generation += 1;
    this.#entries.clear();
  }
}
