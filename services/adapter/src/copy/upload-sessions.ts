import { LRUCache } from 'lru-cache';
import type { UploadSession } from '../adapters/registry-adapter.js';

/**
 * Where half-copied blobs stand, so the next attempt continues instead of starting over:
 * keyed by destination registry, repository and digest. In memory: an adapter restart
 * starts uploads anew.
 */
export interface UploadSessionStore {
  get(key: string): UploadSession | undefined;
  set(key: string, session: UploadSession): void;
  delete(key: string): void;
}

export function createUploadSessionStore(options: { maxEntries?: number; ttlMs?: number; now?: () => number } = {}): UploadSessionStore {
  const maxEntries = options.maxEntries ?? 10_000;
  const ttlMs = options.ttlMs ?? 6 * 3600_000;
  const now = options.now ?? Date.now;
  // The most recently used sessions, each forgotten `ttlMs` after it was last stored.
  const entries = new LRUCache<string, UploadSession>({ max: maxEntries, ttl: ttlMs, ttlResolution: 0, perf: { now } });
  return {
    get: (key) => entries.get(key),
    set(key, session) {
      entries.set(key, session);
    },
    delete(key) {
      entries.delete(key);
    },
  };
}

/** Repositories of one registry known to hold a blob (mount sources), most recent last. */
export interface MountHints {
  repositoriesWith(registryKey: string, digest: string): string[];
  remember(registryKey: string, digest: string, repository: string): void;
}

export function createMountHints(maxDigests = 50_000): MountHints {
  const hints = new LRUCache<string, string[]>({ max: maxDigests });
  return {
    repositoriesWith: (registryKey, digest) => [...(hints.get(`${registryKey} ${digest}`) ?? [])].reverse(),
    remember(registryKey, digest, repository) {
      const key = `${registryKey} ${digest}`;
      const list = (hints.get(key) ?? []).filter((r) => r !== repository);
      list.push(repository);
      hints.set(key, list.slice(-5));
    },
  };
}
