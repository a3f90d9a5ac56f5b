/** Wrong name or password, or an unknown account: the same answer for all three. */
export class LoginFailedError extends Error {
  constructor() {
    super('invalid username or password');
    this.name = 'LoginFailedError';
  }
}

/** Too many failed logins for this account name; `retryAfterSeconds` says when to try again. */
export class LoginThrottledError extends Error {
  readonly retryAfterSeconds: number;

  constructor(retryAfterSeconds: number) {
    super(`too many failed logins; try again in ${retryAfterSeconds} s`);
    this.name = 'LoginThrottledError';
    this.retryAfterSeconds = retryAfterSeconds;
  }
}

export class CsrfError extends Error {
  constructor() {
    super('a valid X-Harbor-CSRF-Token header is required for this request');
    this.name = 'CsrfError';
  }
}
