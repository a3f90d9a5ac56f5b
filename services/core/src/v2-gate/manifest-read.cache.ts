import { LRUCache } from 'lru-cache';
import type { ChangeListener } from '../projects/project-changes.js';

/** What a manifest GET or HEAD answers with. */
export interface ManifestHead {
  digest: string;
  mediaType: string;
  size: number;
}

export interface ManifestReadCacheOptions {
  /** Bytes of manifest bodies kept (content-addressed; 32 MiB). */
  maxBodyBytes?: number;
  /** Repositories whose references are kept (2,000). */
  maxRepositories?: number;
  /** References kept per repository (256). */
  maxReferencesPerRepository?: number;
  /** How long a reference is trusted without an announcement (10 s): the bound on staleness when one is lost. */
  referenceTtlMs?: number;
  now?: () => number;
}

interface Reference extends ManifestHead {
  expiresAt: number;
}

/**
 * What core serves manifest GETs and HEADs from without asking the registry: per repository,
 * the references (tags and digests) clients asked for, with the digest, media type and size
 * the registry answered, and the bodies by digest (content-addressed, so never stale).
 *
 * Every change to a repository's manifests or tags forgets the repository on every core
 * replica (the gate's pushes and deletes, the API's deletes and registry events, announced
 * on Redis); a lost subscription forgets everything; no reference lives past its TTL. A load
 * that raced a change is not kept: {@link ticket} before asking the registry, {@link remember}
 * with that ticket after.
 */
export class ManifestReadCache implements ChangeListener {
  readonly #bodies: LRUCache<string, Buffer>;
  readonly #references: LRUCache<string, LRUCache<string, Reference>>;
  readonly #perRepository: number;
  readonly #ttl: number;
  readonly #now: () => number;
  #generation = 0;

  constructor(options: ManifestReadCacheOptions = {}) {
    this.#bodies = new LRUCache<string, Buffer>({ maxSize: options.maxBodyBytes ?? 32 * 1024 * 1024, sizeCalculation: (body) => Math.max(1, body.byteLength) });
    this.#references = new LRUCache<string, LRUCache<string, Reference>>({ max: options.maxRepositories ?? 2000 });
    this.#perRepository = options.maxReferencesPerRepository ?? 256;
    this.#ttl = options.referenceTtlMs ?? 10_000;
    this.#now = options.now ?? Date.now;
  }

  /** The manifest a reference named when last asked, if still trusted. */
  head(repository: string, reference: string): ManifestHead | undefined {
    const entry = this.#references.get(repository)?.get(reference);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.#now()) {
      this.#references.get(repository)?.delete(reference);
      return undefined;
    }
    return entry;
  }

  /** The body of a manifest by digest, when kept. */
  body(digest: string): Buffer | undefined {
    return this.#bodies.get(digest);
  }

  /** Taken before asking the registry; {@link remember} keeps the answer only if nothing changed meanwhile. */
  ticket(): number {
    return this.#generation;
  }

  /** Keeps the registry's answer for a reference (and its body, for a GET). */
  remember(ticket: number, repository: string, reference: string, head: ManifestHead, body?: Buffer): void {
    if (ticket !== this.#generation) return;
    if (body) {
      if (body.byteLength !== head.size) return;
      this.#bodies.set(head.digest, body);
    }
    let references = this.#references.get(repository);
    if (!references) {
      references = new LRUCache<string, Reference>({ max: this.#perRepository });
      this.#references.set(repository, references);
    }
    references.set(reference, { digest: head.digest, mediaType: head.mediaType, size: head.size, expiresAt: this.#now() + this.#ttl });
  }

  /** The repository's manifests or tags changed. */
  forget(repository: string): void {
    this.#generation += 1;
    this.#references.delete(repository);
  }

  clear(): void {
    this.#generation += 1;
    this.#references.clear();
  }
}
