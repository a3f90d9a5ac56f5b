import { bearerChallenge, grants, TokenInvalidError, type Access, type TokenVerifier } from '@wharf/auth-token';
import type { Logger } from '@wharf/logging';
import { AuthChallengeError, TokenKeysUnavailableError } from './auth.errors.js';

export type Action = 'pull' | 'push' | 'delete';

/** What a route needs from the caller's token. */
export type Requirement =
  | { kind: 'authenticated' }
  | { kind: 'catalog' }
  | { kind: 'repository'; name: string; action: Action };

export interface Principal {
  /** The token's subject; undefined for anonymous access. */
  subject: string | undefined;
  /** True when the caller may do `action` on repository `name`. */
  can(name: string, action: Action): boolean;
}

export interface Authenticator {
  authenticate(authorization: string | undefined, requirement: Requirement): Promise<Principal>;
}

/** `AUTH_MODE=none`: every request may do everything (standalone use behind another gate, tests). */
export const openAccess: Authenticator = {
  async authenticate() {
    return { subject: undefined, can: () => true };
  },
};

export interface TokenAuthenticatorDeps {
  verifier: TokenVerifier;
  realm: string;
  service: string;
  logger: Logger;
}

/** The scopes a client must ask core for, as distribution challenges them. */
function scopesFor(requirement: Requirement): Access[] {
  switch (requirement.kind) {
    case 'authenticated':
      return [];
    case 'catalog':
      return [{ type: 'registry', name: 'catalog', actions: ['*'] }];
    case 'repository':
      return [
        {
          type: 'repository',
          name: requirement.name,
          actions: requirement.action === 'push' ? ['pull', 'push'] : [requirement.action],
        },
      ];
  }
}

/**
 * `AUTH_MODE=token`: a Bearer JWT signed by core, checked for signature, issuer,
 * audience (the service) and expiry, whose `access` claim must grant the route's action.
 * Missing or untrusted tokens get the Bearer challenge (`error="invalid_token"` for a bad
 * one); a valid token without the action gets `error="insufficient_scope"`, as distribution does.
 */
export function createTokenAuthenticator(deps: TokenAuthenticatorDeps): Authenticator {
  const challenge = (requirement: Requirement, error?: 'invalid_token' | 'insufficient_scope') =>
    bearerChallenge({ realm: deps.realm, service: deps.service, scopes: scopesFor(requirement), error });

  return {
    async authenticate(authorization, requirement) {
      const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
      if (!match) {
        throw new AuthChallengeError('authentication required', challenge(requirement), scopesFor(requirement));
      }
      let claims;
      try {
        claims = await deps.verifier.verify(match[1]!);
      } catch (error) {
        if (error instanceof TokenInvalidError && error.reason === 'keys_unavailable') {
          deps.logger.warn('token keys unavailable', { err: error });
          throw new TokenKeysUnavailableError(error.message);
        }
        const reason = error instanceof TokenInvalidError ? error.reason : 'malformed';
        throw new AuthChallengeError(`invalid token (${reason})`, challenge(requirement, 'invalid_token'), scopesFor(requirement));
      }
      const can = (name: string, action: Action) => grants(claims.access, 'repository', name, action);
      const allowed =
        requirement.kind === 'authenticated' ||
        (requirement.kind === 'catalog' && grants(claims.access, 'registry', 'catalog', '*')) ||
        (requirement.kind === 'repository' && can(requirement.name, requirement.action));
      if (!allowed) {
        throw new AuthChallengeError('insufficient scope', challenge(requirement, 'insufficient_scope'), scopesFor(requirement));
      }
      return { subject: claims.subject, can };
    },
  };
}
