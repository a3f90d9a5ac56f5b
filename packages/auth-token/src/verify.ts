import type { KeyObject } from 'node:crypto';
import { createRemoteJWKSet, errors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
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

  return {
    async verify(token) {
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, key as KeyObject, {
          issuer: options.issuer,
          audience: options.audience,
          algorithms,
          clockTolerance: options.clockToleranceSeconds ?? 30,
          requiredClaims: ['exp'],
        }));
      } catch (error) {
        throw toInvalid(error);
      }
      return {
        subject: payload.sub,
        access: readAccess(payload.access),
        issuedAt: payload.iat,
        expiresAt: payload.exp,
        id: payload.jti,
      };
    },
  };
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
