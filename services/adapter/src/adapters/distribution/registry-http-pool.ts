import { createHash } from 'node:crypto';
import { RegistryHttp, type RegistryHttpOptions } from './registry-http.js';
import { TokenCache } from './token-cache.js';

interface Entry {
  http: RegistryHttp;
  credentialKey: string;
  users: number;
  idleSince: number;
}

/**
 * The adapter process's connections to registries, kept across copies: one RegistryHttp
 * per registry address and credential, so that consecutive and concurrent tasks of an
 * execution reuse its keep-alive connections, the challenge it learned from `GET /v2/` and
 * its tokens, instead of each task pinging the registry and asking for tokens anew. Tokens
 * are shared by the RegistryHttp of one credential (core's tokens serve core and the
 * registry-facade behind it). An entry nobody has used for `idleMs` is closed.
 */
export class RegistryHttpPool {
  readonly #entries = new Map<string, Entry>();
  readonly #owners = new Map<RegistryHttp, string>();
  readonly #tokens = new Map<string, { cache: TokenCache; users: number }>();
  readonly #idleMs: number;
  readonly #now: () => number;

  constructor(options: { idleMs?: number; now?: () => number } = {}) {
    this.#idleMs = options.idleMs ?? 5 * 60_000;
    this.#now = options.now ?? Date.now;
  }

  /** The shared RegistryHttp for these options; give it back with {@link release}. */
  acquire(options: Omit<RegistryHttpOptions, 'tokens'>): RegistryHttp {
    this.#sweep();
    const key = fingerprint(options);
    let entry = this.#entries.get(key);
    if (!entry) {
      const credentialKey = fingerprint({ credential: options.credential ?? null });
      let tokens = this.#tokens.get(credentialKey);
      if (!tokens) this.#tokens.set(credentialKey, (tokens = { cache: new TokenCache(), users: 0 }));
      tokens.users += 1;
      entry = { http: new RegistryHttp({ ...options, tokens: tokens.cache }), credentialKey, users: 0, idleSince: this.#now() };
      this.#entries.set(key, entry);
      this.#owners.set(entry.http, key);
    }
    entry.users += 1;
    return entry.http;
  }

  release(http: RegistryHttp): void {
    const key = this.#owners.get(http);
    const entry = key === undefined ? undefined : this.#entries.get(key);
    if (!entry) return;
    entry.users = Math.max(0, entry.users - 1);
    if (entry.users === 0) entry.idleSince = this.#now();
  }

  /** How many registries the pool holds connections to. */
  get size(): number {
    return this.#entries.size;
  }

  async close(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    this.#owners.clear();
    this.#tokens.clear();
    await Promise.all(entries.map((entry) => entry.http.close().catch(() => undefined)));
  }

  #sweep(): void {
    const now = this.#now();
    for (const [key, entry] of this.#entries) {
      if (entry.users > 0 || now - entry.idleSince < this.#idleMs) continue;
      this.#entries.delete(key);
      this.#owners.delete(entry.http);
      const tokens = this.#tokens.get(entry.credentialKey);
      if (tokens && --tokens.users <= 0) this.#tokens.delete(entry.credentialKey);
      void entry.http.close().catch(() => undefined);
    }
  }
}

/** A digest of the options (credentials included), so that no secret is kept as a map key. */
function fingerprint(value: object): string {
  return createHash('sha256').update(JSON.stringify(value)).digest('base64url');
}
