import { createHash } from 'node:crypto';
import type { Logger } from '@wharf/logging';
import { LRUCache } from 'lru-cache';
import type { Principal } from '../rbac/principal.js';
import type { RobotService } from '../robots/robot.service.js';
import type { PasswordHasher } from '../users/password-hasher.js';
import type { UserService } from '../users/user.service.js';
import { LoginFailedError, LoginThrottledError } from './session.errors.js';
import type { SessionData, SessionStore } from './session.store.js';

export interface LoginServiceDeps {
  users: UserService;
  robots: RobotService;
  sessions: SessionStore;
  hasher: PasswordHasher;
  logger: Logger;
  robotNamePrefix: string;
  maxFailures: number;
  /** Failed logins from one address (any accounts) within the lockout window before it is refused. */
  maxAddressFailures: number;
  lockoutMs: number;
  /** How long a check may wait for the checks of the same account running before it (default 15 s). */
  maxWaitMs?: number;
  sessionTtlMs: number;
}

/** A scrypt hash nobody's password matches: unknown accounts cost as much time as wrong passwords. */
const DUMMY_HASH = 'scrypt$15$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=';
const REMEMBER_MS = 60_000;
const REMEMBER_MAX = 10_000;

/**
 * Authentication: passwords of users, secrets of robots, browser sessions. Only failures
 * count: per account name (known or not) and per source address, within the lockout window
 * from the first one; a success clears the account's. An account or address that reached
 * its limit is refused (429) until the window ends, the right password included. So that
 * parallel guesses cannot slip past the limit, the checks of one account running at once
 * never outnumber the failures it has left: more wait their turn (a correct password waits,
 * it is never refused because others are logging in at the same moment — CI runners and
 * Kubernetes nodes log in in parallel), and a check finished successfully is remembered, so
 * those waiting are answered at once. The answer to a failure never says whether the
 * account exists.
 */
export class LoginService {
  readonly #deps: LoginServiceDeps;
  /** Recently verified credentials (hash of name, password and stored hash) → expiry. */
  readonly #recent = new LRUCache<string, number>({ max: REMEMBER_MAX, ttl: REMEMBER_MS, ttlResolution: 0, perf: { now: () => Date.now() } });

  constructor(deps: LoginServiceDeps) {
    this.#deps = deps;
  }

  /** Checks a name and password (or robot secret); `address` is the caller's, for throttling. */
  async authenticate(name: string, password: string, address = 'unknown'): Promise<Principal> {
    const limits = { maxFailures: this.#deps.maxFailures, maxAddressFailures: this.#deps.maxAddressFailures };
    const deadline = Date.now() + (this.#deps.maxWaitMs ?? 15_000);
    for (let pause = 10; ; pause = Math.min(pause * 2, 200)) {
      const remembered = await this.#remembered(name, password);
      if (remembered) return remembered;
      const gate = await this.#deps.sessions.beginAttempt(name, address, limits);
      if (gate.state === 'locked') throw new LoginThrottledError(Math.max(1, Math.ceil(gate.retryAfterMs / 1000)));
      if (gate.state === 'go') break;
      if (Date.now() > deadline) throw new LoginThrottledError(1);
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
    let principal: Principal | undefined;
    let outcome: 'succeeded' | 'failed' | 'undecided' = 'undecided';
    try {
      principal = await this.#verify(name, password);
      outcome = principal ? 'succeeded' : 'failed';
    } finally {
      // A check that could not be made (the database unreachable) counts for nothing.
      await this.#deps.sessions.endAttempt(name, address, { outcome, windowMs: this.#deps.lockoutMs, ...limits });
    }
    if (!principal) {
      this.#deps.logger.info('login failed', { address });
      throw new LoginFailedError();
    }
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
  async login(name: string, password: string, address?: string): Promise<{ sessionId: string; session: SessionData; principal: Principal }> {
    if (name.startsWith(this.#deps.robotNamePrefix)) throw new LoginFailedError();
    const principal = await this.authenticate(name, password, address);
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
