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

/**
 * Authentication: passwords of users, secrets of robots, browser sessions. Failures are
 * counted per account name (known or not), and after `maxFailures` within the lockout
 * window every attempt for that name is refused until the window ends. The answer to a
 * failure never says whether the account exists.
 */
export class LoginService {
  readonly #deps: LoginServiceDeps;

  constructor(deps: LoginServiceDeps) {
    this.#deps = deps;
  }

  async authenticate(name: string, password: string): Promise<Principal> {
    const { count, retryAfterMs } = await this.#deps.sessions.failures(name);
    if (count >= this.#deps.maxFailures) throw new LoginThrottledError(Math.max(1, Math.ceil(retryAfterMs / 1000)));
    const principal = await this.#verify(name, password);
    if (!principal) {
      const failures = await this.#deps.sessions.recordFailure(name, this.#deps.lockoutMs);
      if (failures === this.#deps.maxFailures) this.#deps.logger.warn('login locked after repeated failures', { failures });
      throw new LoginFailedError();
    }
    if (count > 0) await this.#deps.sessions.clearFailures(name);
    return principal;
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
    if (name.startsWith(this.#deps.robotNamePrefix)) {
      const robot = await this.#deps.robots.authenticate(name, password);
      if (!robot) return undefined;
      return { kind: 'robot', id: robot.id, name: this.#deps.robots.fullName(robot), level: robot.level, projectId: robot.projectId, permissions: robot.permissions };
    }
    const user = await this.#deps.users.findForLogin(name);
    if (!user) {
      await this.#deps.hasher.verify(password, DUMMY_HASH);
      return undefined;
    }
    if (!(await this.#deps.hasher.verify(password, user.passwordHash))) return undefined;
    return { kind: 'user', id: user.id, username: user.username, sysadmin: user.sysadmin };
  }
}
