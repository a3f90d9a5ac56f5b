import type { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import { algorithmOf } from './keys.js';
import type { Access } from './scope.js';

export type TokenKeySource =
  | { jwksUrl: string; timeoutMs?: number; cacheMaxAgeMs?: number }
  | { publicKey: KeyObject };

export interface TokenVerifierOptions {
  issuer: string;
  audience: string;
  keys: TokenKeySource;
  clockToleranceSeconds?: number;
  /**
   * How many verified tokens to remember (0: none). A client sends the same token with every
   * request of a push or pull; a remembered token skips the signature check until it expires.
   */
  cacheSize?: number;
}

export interface TokenClaims {
  subject: string | undefined;
  access: Access[];
  issuedAt: number | undefined;
  expiresAt: number | undefined;
  id: string | undefined;
}

export type TokenInvalidReason = 'malformed' | 'expired' | 'signature' | 'claims' | 'keys_unavailable';

/** The bearer token cannot be trusted; `reason` says why (never shown to clients in detail). */
export class TokenInvalidError extends Error {
  readonly reason: TokenInvalidReason;

  constructor(reason: TokenInvalidReason, message: string) {
    super(message);
    this.name = 'TokenInvalidError';
    this.reason = reason;
  }
}

export interface TokenVerifier {
  verify(token: string): Promise<TokenClaims>;
}

export function createTokenVerifier(options: TokenVerifierOptions): TokenVerifier {
  const source = options.keys;
  const key: KeyObject | JWTVerifyGetKey =
    'jwksUrl' in source
      ? createRemoteJWKSet(new URL(source.jwksUrl), {
          timeoutDuration: source.timeoutMs ?? 5000,
          cacheMaxAge: source.cacheMaxAgeMs ?? 10 * 60 * 1000,
          cooldownDuration: 30_000,
        })
      : source.publicKey;
  const algorithms = 'publicKey' in source ? [algorithmOf(source.publicKey)] : ['RS256', 'ES256'];

  const tolerance = options.clockToleranceSeconds ?? 30;
  const cacheSize = options.cacheSize ?? 10_000;
  /** Verified tokens (exact bytes) → their claims, least recently used out first, each until it expires. */
  const verified = cacheSize > 0 ? new LRUCache<string, TokenClaims>({ max: cacheSize, ttlResolution: 0, perf: { now: () => Date.now() } }) : undefined;

  return {
    async verify(token) {
      const known = verified?.get(token);
      if (known && known.expiresAt !== undefined && Date.now() < (known.expiresAt + tolerance) * 1000) return known;
      if (known) verified?.delete(token);
      const claims = await verifyNow(token);
      const ttl = claims.expiresAt !== undefined ? (claims.expiresAt + tolerance) * 1000 - Date.now() : 0;
      if (ttl > 0) verified?.set(token, claims, { ttl });
      return claims;
    },
  };

  async function verifyNow(token: string): Promise<TokenClaims> {
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, key as KeyObject, {
        issuer: options.issuer,
        audience: options.audience,
        algorithms,
        clockTolerance: tolerance,
        requiredClaims: ['exp'],
      }));
    } catch (error) {
      throw toInvalid(error);
    }
    // Frozen: the same claims are handed to every request that presents this token.
    return Object.freeze({
      subject: payload.sub,
      access: Object.freeze(readAccess(payload.access).map((entry) => Object.freeze({ ...entry, actions: Object.freeze(entry.actions) }))) as Access[],
      issuedAt: payload.iat,
      expiresAt: payload.exp,
      id: payload.jti,
    });
  }
}

function toInvalid(error: unknown): TokenInvalidError {
  if (error instanceof errors.JWTExpired) return new TokenInvalidError('expired', 'token expired');
  if (error instanceof errors.JWTClaimValidationFailed) return new TokenInvalidError('claims', error.message);
  if (error instanceof errors.JWSSignatureVerificationFailed || error instanceof errors.JWKSNoMatchingKey) {
    return new TokenInvalidError('signature', 'token signature does not verify');
  }
  if (error instanceof errors.JWKSTimeout || error instanceof errors.JOSEAlgNotAllowed) {
    return new TokenInvalidError(error instanceof errors.JWKSTimeout ? 'keys_unavailable' : 'signature', error.message);
  }
  if (error instanceof errors.JOSEError) return new TokenInvalidError('malformed', error.message);
  return new TokenInvalidError('keys_unavailable', (error as Error).message ?? 'cannot verify token');
}

function readAccess(value: unknown): Access[] {
  if (!Array.isArray(value)) return [];
  return value.flatMap((entry: unknown) => {
    const item = entry as { type?: unknown; name?: unknown; actions?: unknown };
    if (typeof item.type !== 'string' || typeof item.name !== 'string' || !Array.isArray(item.actions)) return [];
    return [{ type: item.type, name: item.name, actions: item.actions.filter((a): a is string => typeof a === 'string') }];
  });
}
