import type { Logger } from '@wharf/logging';
import type { ListQuery } from '../listing/list-query.js';
import { ForbiddenError, UnauthenticatedError } from '../rbac/access.errors.js';
import { isSysadmin, type Principal } from '../rbac/principal.js';
import { meetsPasswordRule, PASSWORD_RULE, type PasswordHasher } from './password-hasher.js';
import { NotAUserError, PasswordRejectedError, UserExistsError, UserInvalidError, UserNotFoundError, WrongPasswordError } from './user.errors.js';
import type { UserRecord, UserStore } from './user.store.js';

export interface UserServiceDeps {
  users: UserStore;
  hasher: PasswordHasher;
  logger: Logger;
  selfRegistration: boolean;
  robotNamePrefix: string;
}

export interface NewUser {
  username: string;
  email?: string;
  realname?: string;
  comment?: string;
  password: string;
}

const USERNAME_FORBIDDEN = /[,"~#$%\s]/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;

/** Users of the database authentication mode (Harbor's user controller). */
export class UserService {
  readonly #deps: UserServiceDeps;

  constructor(deps: UserServiceDeps) {
    this.#deps = deps;
  }

  /** Creates `admin` with the given password on first start; an existing admin is left alone. */
  async ensureAdmin(password: string): Promise<void> {
    if (await this.#deps.users.findByUsername('admin')) return;
    const created = await this.#deps.users.create({
      username: 'admin',
      email: '',
      realname: 'system admin',
      comment: 'admin user',
      passwordHash: await this.#deps.hasher.hash(password),
      sysadmin: true,
    });
    if (created) this.#deps.logger.info('admin user created');
  }

  async create(principal: Principal, input: NewUser): Promise<UserRecord> {
    if (!isSysadmin(principal) && !(this.#deps.selfRegistration && principal.kind === 'anonymous')) {
      throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError('only system admins may create users');
    }
    const username = input.username.trim();
    if (!username || username.length > 255 || USERNAME_FORBIDDEN.test(username) || username.startsWith(this.#deps.robotNamePrefix)) {
      throw new UserInvalidError('the username must be 1 to 255 characters without spaces or any of , " ~ # $ %');
    }
    const email = (input.email ?? '').trim();
    if (email && !EMAIL.test(email)) throw new UserInvalidError('the email address is not valid');
    if (!meetsPasswordRule(input.password)) throw new PasswordRejectedError(PASSWORD_RULE);
    if (email && (await this.#deps.users.emailTaken(email))) throw new UserExistsError(`email ${email}`);
    const created = await this.#deps.users.create({
      username,
      email,
      realname: input.realname ?? '',
      comment: input.comment ?? '',
      passwordHash: await this.#deps.hasher.hash(input.password),
      sysadmin: false,
    });
    if (!created) throw new UserExistsError(`username ${username}`);
    return created;
  }

  async get(principal: Principal, id: number): Promise<UserRecord> {
    this.#selfOrAdmin(principal, id);
    const user = await this.#deps.users.findById(id);
    if (!user) throw new UserNotFoundError(id);
    return user;
  }

  async current(principal: Principal): Promise<UserRecord> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (principal.kind !== 'user') throw new NotAUserError();
    const user = await this.#deps.users.findById(principal.id);
    if (!user) throw new UnauthenticatedError();
    return user;
  }

  async list(principal: Principal, query: ListQuery): Promise<{ items: UserRecord[]; total: number }> {
    if (!isSysadmin(principal)) throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError('only system admins may list users');
    return this.#deps.users.list(query);
  }

  async search(principal: Principal, username: string, page: number, pageSize: number): Promise<{ items: UserRecord[]; total: number }> {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (!username) throw new UserInvalidError('username is required');
    return this.#deps.users.search(username, pageSize, (page - 1) * pageSize);
  }

  async updateProfile(principal: Principal, id: number, profile: { email?: string; realname?: string; comment?: string }): Promise<void> {
    const user = await this.get(principal, id);
    const email = (profile.email ?? user.email).trim();
    if (email && !EMAIL.test(email)) throw new UserInvalidError('the email address is not valid');
    if (email && email.toLowerCase() !== user.email.toLowerCase() && (await this.#deps.users.emailTaken(email, id))) {
      throw new UserExistsError(`email ${email}`);
    }
    await this.#deps.users.updateProfile(id, { email, realname: profile.realname ?? user.realname, comment: profile.comment ?? user.comment });
  }

  /** Users change their own password with the old one; system admins set anyone else's. */
  async changePassword(principal: Principal, id: number, oldPassword: string | undefined, newPassword: string): Promise<void> {
    const user = await this.get(principal, id);
    const self = principal.kind === 'user' && principal.id === id;
    if (self) {
      if (!oldPassword) throw new PasswordRejectedError('the current password (old_password) is required');
      if (!(await this.#deps.hasher.verify(oldPassword, user.passwordHash))) throw new WrongPasswordError();
      if (oldPassword === newPassword) throw new PasswordRejectedError('the new password must differ from the old one');
    }
    if (!meetsPasswordRule(newPassword)) throw new PasswordRejectedError(PASSWORD_RULE);
    await this.#deps.users.setPassword(id, await this.#deps.hasher.hash(newPassword));
    this.#deps.logger.info('password changed', { userId: id, bySelf: self });
  }

  /** Grants or withdraws system admin rights (system admins only, never to themselves). */
  async setSysadmin(principal: Principal, id: number, sysadmin: boolean): Promise<void> {
    if (!isSysadmin(principal)) throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError('only system admins may change admin rights');
    if (principal.kind === 'user' && principal.id === id) throw new ForbiddenError('you cannot change your own admin rights');
    if (!(await this.#deps.users.setSysadmin(id, sysadmin))) throw new UserNotFoundError(id);
  }

  async delete(principal: Principal, id: number): Promise<UserRecord> {
    if (!isSysadmin(principal)) throw principal.kind === 'anonymous' ? new UnauthenticatedError() : new ForbiddenError('only system admins may delete users');
    if (principal.kind === 'user' && principal.id === id) throw new ForbiddenError('you cannot delete yourself');
    const user = await this.#deps.users.findById(id);
    if (!user) throw new UserNotFoundError(id);
    if (user.username === 'admin') throw new ForbiddenError('the admin user cannot be deleted');
    await this.#deps.users.delete(id);
    return user;
  }

  /** For authentication: the stored user, without any access check. */
  async findForLogin(username: string): Promise<UserRecord | undefined> {
    return this.#deps.users.findByUsername(username);
  }

  async findById(id: number): Promise<UserRecord | undefined> {
    return this.#deps.users.findById(id);
  }

  #selfOrAdmin(principal: Principal, id: number): void {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    if (!isSysadmin(principal) && !(principal.kind === 'user' && principal.id === id)) throw new ForbiddenError('you may only see and change your own account');
  }
}
