import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface SessionData {
  userId: number;
  csrfToken: string;
  createdAt: number;
}

const hashed = (value: string) => createHash('sha256').update(value).digest('hex');

/**
 * Browser sessions and login failure counters in Redis. Session ids and account names are
 * hashed into keys, so neither appears in Redis in clear.
 */
export class RedisSessionRepository {
  readonly #redis: Redis;
  readonly #prefix: string;

  constructor(deps: { redis: Redis; prefix: string }) {
    this.#redis = deps.redis;
    this.#prefix = deps.prefix;
  }

  async create(data: Omit<SessionData, 'csrfToken' | 'createdAt'>, ttlMs: number): Promise<{ id: string; session: SessionData }> {
    const id = randomBytes(32).toString('base64url');
    const session: SessionData = { ...data, csrfToken: randomBytes(32).toString('base64url'), createdAt: Date.now() };
    await this.#redis.set(this.#sessionKey(id), JSON.stringify(session), 'PX', ttlMs);
    return { id, session };
  }

  /** The session, its idle timer restarted; undefined when unknown or expired. */
  async touch(id: string, ttlMs: number): Promise<SessionData | undefined> {
    const key = this.#sessionKey(id);
    const [[, value]] = (await this.#redis.multi().get(key).pexpire(key, ttlMs).exec()) as [[Error | null, string | null], unknown];
    return value ? (JSON.parse(value) as SessionData) : undefined;
  }

  async delete(id: string): Promise<void> {
    await this.#redis.del(this.#sessionKey(id));
  }

  /**
   * Counts a login attempt for the account name before its password is checked (so that
   * concurrent attempts cannot all slip in under the limit). The count lives for the
   * window from the first attempt; the attempt that reaches `lockAt` restarts the window,
   * so a lock lasts the whole window. Returns the count and the time left.
   */
  async recordAttempt(account: string, windowMs: number, lockAt: number): Promise<{ count: number; retryAfterMs: number }> {
    const key = this.#failureKey(account);
    const [[, count], , [, ttl]] = (await this.#redis.multi().incr(key).pexpire(key, windowMs, 'NX').pttl(key).exec()) as [
      [Error | null, number],
      unknown,
      [Error | null, number],
    ];
    if (count === lockAt) {
      await this.#redis.pexpire(key, windowMs);
      return { count, retryAfterMs: windowMs };
    }
    return { count, retryAfterMs: Math.max(0, ttl) };
  }

  async clearFailures(account: string): Promise<void> {
    await this.#redis.del(this.#failureKey(account));
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:${hashed(id)}`;
  }

  #failureKey(account: string): string {
    return `${this.#prefix}login-failures:${hashed(account.toLowerCase())}`;
  }
}
