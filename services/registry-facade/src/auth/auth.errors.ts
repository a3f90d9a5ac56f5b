import type { Access } from '@wharf/auth-token';

/** The request needs a (better) bearer token; `challenge` is the WWW-Authenticate value to send. */
export class AuthChallengeError extends Error {
  readonly challenge: string;
  readonly required: readonly Access[];

  constructor(message: string, challenge: string, required: readonly Access[]) {
    super(message);
    this.name = 'AuthChallengeError';
    this.challenge = challenge;
    this.required = required;
  }
}

/** The keys that verify tokens cannot be fetched right now (JWKS endpoint down). */
export class TokenKeysUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenKeysUnavailableError';
  }
}
