export { parseScopes, formatScope, grants, InvalidScopeError, type Access } from './scope.js';
export { bearerChallenge, type ChallengeOptions } from './challenge.js';
export {
  generateSigningKey,
  signingKeyFromPem,
  publicJwk,
  keyIdOf,
  algorithmOf,
  type SigningKey,
  type SigningAlgorithm,
} from './keys.js';
export { issueToken, type IssueTokenOptions, type IssuedToken } from './issue.js';
export {
  createTokenVerifier,
  TokenInvalidError,
  type TokenVerifier,
  type TokenVerifierOptions,
  type TokenKeySource,
  type TokenClaims,
  type TokenInvalidReason,
} from './verify.js';
