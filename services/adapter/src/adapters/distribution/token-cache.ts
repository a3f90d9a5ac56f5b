import { LRUCache } from 'lru-cache';

/**
 * Bearer tokens of one credential, by the endpoint that issued them and the scopes they were
 * asked for. A token asked for more than a call needs serves that call too (one asked with
 * `repository:a:pull,push` serves a `repository:a:pull` call), so a copy that reads and
 * writes a repository fetches one token for it, not one per action. Shared by every
 * RegistryHttp of the credential: core's tokens are good at core and at the registry-facade
 * that serves the same registry's blobs.
 */
export class TokenCache {
  /** Per issuer, the most recently used tokens, each dropped when it expires. */
  readonly #byIssuer = new Map<string, LRUCache<string, CachedToken>>();
  readonly #maxPerIssuer: number;
  readonly #now: () => number;

  constructor(options: { maxPerIssuer?: number; now?: () => number } = {}) {
    this.#maxPerIssuer = options.maxPerIssuer ?? 500;
    this.#now = options.now ?? Date.now;
  }

  /** A live token from `issuer` asked for these scopes, or for scopes covering them. */
  get(issuer: string, scopes: readonly string[]): string | undefined {
    const tokens = this.#byIssuer.get(issuer);
    if (!tokens) return undefined;
    const now = this.#now();
    const exact = tokens.get(keyOf(scopes));
    if (exact && exact.expiresAt > now) return exact.token;
    const wanted = scopes.map(parseScope);
    for (const cached of tokens.values()) {
      // The cache drops expired tokens itself; this guards the millisecond at the boundary.
      if (cached.expiresAt <= now) continue;
      if (wanted.every((scope) => covers(cached.grants, scope))) return cached.token;
    }
    return undefined;
  }

  set(issuer: string, scopes: readonly string[], token: string, expiresAt: number): void {
    const now = this.#now();
    if (expiresAt <= now) return;
    let tokens = this.#byIssuer.get(issuer);
    if (!tokens) {
      tokens = new LRUCache<string, CachedToken>({ max: this.#maxPerIssuer, ttlResolution: 0, perf: { now: this.#now } });
      this.#byIssuer.set(issuer, tokens);
    }
    tokens.set(keyOf(scopes), { token, expiresAt, grants: scopes.map(parseScope) }, { ttl: expiresAt - now });
  }

  /** Forgets the issuer's tokens (a registry that refused one of them). */
  clear(issuer: string): void {
    this.#byIssuer.delete(issuer);
  }
}

interface Scope {
  /** `repository:a/b` */
  resource: string;
  actions: string[];
}

interface CachedToken {
  token: string;
  expiresAt: number;
  grants: Scope[];
}

function keyOf(scopes: readonly string[]): string {
  return [...scopes].sort().join(' ');
}

/** `type:name:actions` (a name never holds `:`; a type may carry a class, `repository(plugin)`). */
function parseScope(scope: string): Scope {
  const last = scope.lastIndexOf(':');
  if (last <= 0) return { resource: scope, actions: [] };
  return { resource: scope.slice(0, last), actions: scope.slice(last + 1).split(',').filter(Boolean) };
}

function covers(grants: readonly Scope[], wanted: Scope): boolean {
  return grants.some((grant) => grant.resource === wanted.resource && (grant.actions.includes('*') || wanted.actions.every((action) => grant.actions.includes(action))));
}
