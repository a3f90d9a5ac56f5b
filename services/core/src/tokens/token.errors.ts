/** The token request itself is wrong (unknown service, bad scope, bad grant type). */
export class TokenRequestError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRequestError';
  }
}

/** A refresh token that is unknown, expired, revoked, or whose account is gone or disabled. */
export class RefreshTokenInvalidError extends Error {
  constructor() {
    super('the refresh token is not valid');
    this.name = 'RefreshTokenInvalidError';
  }
}
