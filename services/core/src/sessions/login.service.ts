import { createHash } from 'node:crypto';
import type { Logger } from '@wharf/logging';
import type { Principal } from '../rbac/principal.js';
import type { RobotService } from '../robots/robot.service.js';
import type { PasswordHasher } from '../users/password-hasher.js';
import type { UserService } from '../users/user.service.js';
import { LoginFailedError, LoginThrottledError } from './session.errors.js';
import type { RedisSessionRepository, SessionData } from './session.repository.js';

export interface LoginServiceDeps {
  users: UserService;
  robots: RobotService;
  sessions: RedisSessionRepository;
  hasher: PasswordHasher;
  logger: Logger;
  robotNamePrefix: string;
  maxFailures: number;
  lockoutMs: number;
  sessionTtlMs: number;
}

/** A scrypt hash nobody's password matches: unknown accounts cost as much time as wrong passwords. */
const DUMMY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

/**
 * Authentication: passwords of users, secrets of robots, browser sessions. Attempts are
 * counted per account name (known or not) and cleared by a success; after `maxFailures`
 * failed ones within the lockout window every attempt for that name is refused, the right
 * password included, until the window ends. The answer to a failure never says whether
 * the account exists.
 */
export class LoginService {
  readonly #deps: LoginServiceDeps;
  /** Recently verified credentials (hash of name, password and stored hash) → expiry. */
  readonly #recent = new Map<string, number>();

  constructor(deps: LoginServiceDeps) {
    this.#deps = deps;
  }

  async authenticate(name: string, password: string): Promise<Principal> {
    const remembered = await this.#remembered(name, password);
    if (remembered) return remembered;
    // The attempt is counted before the (slow) check, so parallel guesses cannot all pass.
    const { count, retryAfterMs } = await this.#deps.sessions.recordAttempt(name, this.#deps.lockoutMs, this.#deps.maxFailures + 1);
    if (count > this.#deps.maxFailures) {
      if (count === this.#deps.maxFailures + 1) this.#deps.logger.warn('login locked after repeated failures', { failures: this.#deps.maxFailures });
      throw new LoginThrottledError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    }
    const principal = await this.#verify(name, password);
    if (!principal) throw new LoginFailedError();
    await this.#deps.sessions.clearFailures(name);
    return principal;
  }

  /**
   * API scripts send Basic credentials with every call; checking scrypt each time would
   * cost ~50 ms of CPU per request. A successful check is remembered for a minute, keyed by
   * a hash of the password and the stored hash, so a changed password, a regenerated robot
   * secret or a deleted account is never served from memory.
   */
  async #remembered(name: string, password: string): Promise<Principal | undefined> {
    const account = await this.#account(name);
    if (!account) return undefined;
    const key = createHash('sha256').update(`${name}\0${password}\0${account.storedHash}`).digest('hex');
    const expires = this.#recent.get(key);
    if (expires !== undefined && expires > Date.now() && account.principal) return account.principal;
    return undefined;
  }

  /** Browser login: users only (robots use Basic auth and tokens). */
  async login(name: string, password: string): Promise<{ sessionId: string; session: SessionData; principal: Principal }> {
    if (name.startsWith(this.#deps.robotNamePrefix)) throw new LoginFailedError();
    const principal = await this.authenticate(name, password);
    if (principal.kind !== 'user') throw new LoginFailedError();
    const { id, session } = await this.#deps.sessions.create({ userId: principal.id }, this.#deps.sessionTtlMs);
    return { sessionId: id, session, principal };
  }

  /** The user behind a session cookie, with the session's CSRF token; undefined when it ended. */
  async resume(sessionId: string): Promise<{ principal: Principal; csrfToken: string } | undefined> {
    const session = await this.#deps.sessions.touch(sessionId, this.#deps.sessionTtlMs);
    if (!session) return undefined;
    const user = await this.#deps.users.findById(session.userId);
    if (!user) {
      await this.#deps.sessions.delete(sessionId);
      return undefined;
    }
    return { principal: { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin }, csrfToken: session.csrfToken };
  }

  async logout(sessionId: string): Promise<void> {
    await this.#deps.sessions.delete(sessionId);
  }

  /**
   * The principal a registry token was issued to, from its subject, as it is now: a user or
   * robot deleted or disabled since counts as anonymous.
   */
  async principalForSubject(subject: string | undefined): Promise<Principal> {
    if (!subject || subject === 'anonymous') return { kind: 'anonymous' };
    if (subject.startsWith(this.#deps.robotNamePrefix)) {
      const robot = await this.#deps.robots.findByFullName(subject);
      return robot && this.#deps.robots.usable(robot)
        ? { kind: 'robot', id: robot.id, name: subject, level: robot.level, projectId: robot.projectId, permissions: robot.permissions }
        : { kind: 'anonymous' };
    }
    const user = await this.#deps.users.findForLogin(subject);
    return user ? { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin } : { kind: 'anonymous' };
  }

  async #verify(name: string, password: string): Promise<Principal | undefined> {
    const account = await this.#account(name);
    if (!account) {
      await this.#deps.hasher.verify(password, DUMMY_HASH);
      return undefined;
    }
    if (!(await this.#deps.hasher.verify(password, account.storedHash)) || !account.principal) return undefined;
    const key = createHash('sha256').update(`${name}\0${password}\0${account.storedHash}`).digest('hex');
    this.#recent.set(key, Date.now() + REMEMBER_MS);
    if (this.#recent.size > REMEMBER_MAX) this.#recent.delete(this.#recent.keys().next().value!);
    return account.principal;
  }

  /** The account behind a login name, its stored hash, and the principal it is while usable. */
  async #account(name: string): Promise<{ storedHash: string; principal: Principal | undefined } | undefined> {
    if (name.startsWith(this.#deps.robotNamePrefix)) {
      const robot = await this.#deps.robots.findByFullName(name);
      if (!robot) return undefined;
      const principal: Principal | undefined = this.#deps.robots.usable(robot)
        ? { kind: 'robot', id: robot.id, name, level: robot.level, projectId: robot.projectId, permissions: robot.permissions }
        : undefined;
      return { storedHash: robot.secretHash, principal };
    }
    const user = await this.#deps.users.findForLogin(name);
    if (!user) return undefined;
    return { storedHash: user.passwordHash, principal: { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin } };
  }
}
