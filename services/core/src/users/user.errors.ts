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

/** The current password given to change a password is not the user's. */
export class WrongPasswordError extends Error {
  constructor() {
    super('the current password is incorrect');
    this.name = 'WrongPasswordError';
  }
}

/** The caller is not a local user (a robot asking for "the current user"). */
export class NotAUserError extends Error {
  constructor() {
    super('the caller is not a user; robot accounts have no user profile');
    this.name = 'NotAUserError';
  }
}
