export class UserNotFoundError extends Error {
  constructor(reference: string | number) {
    super(`user ${reference} not found`);
    this.name = 'UserNotFoundError';
  }
}

export class UserExistsError extends Error {
  constructor(what: string) {
    super(`${what} is already taken`);
    this.name = 'UserExistsError';
  }
}

/** The password does not follow Harbor's rule, or the old password given is wrong. */
export class PasswordRejectedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PasswordRejectedError';
  }
}

export class UserInvalidError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UserInvalidError';
  }
}
