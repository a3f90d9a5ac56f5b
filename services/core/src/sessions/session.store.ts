import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';

export interface SessionData {
  userId: number;
  csrfToken: string;
  createdAt: number;
}

const hashed = (value: string) => createHash('sha256').update(value).digest('hex');

export type AttemptGate = { state: 'go' } | { state: 'wait' } | { state: 'locked'; retryAfterMs: number };

/** A password check's claim outlives a core that died mid-check by at most this long. */
const CHECKING_TTL_MS = 30_000;

/** KEYS: account failures, address failures, account checks running. ARGV: account limit, address limit, checks' TTL. */
const BEGIN_ATTEMPT = `
local failures = tonumber(redis.call('GET', KEYS[1]) or '0')
if failures >= tonumber(ARGV[1]) then return {-1, redis.call('PTTL', KEYS[1])} end
local fromAddress = tonumber(redis.call('GET', KEYS[2]) or '0')
if fromAddress >= tonumber(ARGV[2]) then return {-1, redis.call('PTTL', KEYS[2])} end
local checking = tonumber(redis.call('GET', KEYS[3]) or '0')
if failures + checking >= tonumber(ARGV[1]) then return {0, 0} end
redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[3])
return {1, 0}
`;

/** KEYS: as BEGIN_ATTEMPT. ARGV: succeeded|failed|undecided, window, account limit, address limit. */
const END_ATTEMPT = `
if tonumber(redis.call('GET', KEYS[3]) or '0') > 0 then redis.call('DECR', KEYS[3]) end
if ARGV[1] == 'failed' then
  local failures = redis.call('INCR', KEYS[1])
  if failures >= tonumber(ARGV[3]) then redis.call('PEXPIRE', KEYS[1], ARGV[2]) else redis.call('PEXPIRE', KEYS[1], ARGV[2], 'NX') end
  local fromAddress = redis.call('INCR', KEYS[2])
  if fromAddress >= tonumber(ARGV[4]) then redis.call('PEXPIRE', KEYS[2], ARGV[2]) else redis.call('PEXPIRE', KEYS[2], ARGV[2], 'NX') end
elseif ARGV[1] == 'succeeded' then
  redis.call('DEL', KEYS[1])
end
return 1
`;

/** Browser sessions and the login failure counters. */
export interface SessionStore {
  create(data: Omit<SessionData, 'csrfToken' | 'createdAt'>, ttlMs: number): Promise<{ id: string; session: SessionData }>;
  /** The session, its idle timer restarted; undefined when unknown or expired. */
  touch(id: string, ttlMs: number): Promise<SessionData | undefined>;
  delete(id: string): Promise<void>;
  /** Asks to check one password of `account` from `address` (see RedisSessionStore). */
  beginAttempt(account: string, address: string, limits: { maxFailures: number; maxAddressFailures: number }): Promise<AttemptGate>;
  /** Ends a check that beginAttempt let go. */
  endAttempt(account: string, address: string, outcome: { outcome: 'succeeded' | 'failed' | 'undecided'; windowMs: number; maxFailures: number; maxAddressFailures: number }): Promise<void>;
}

/**
 * Browser sessions and login failure counters in Redis. Session ids, account names and
 * addresses are hashed into keys, so none appears in Redis in clear.
 */
export class RedisSessionStore implements SessionStore {
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
   * Asks to check one password of `account` from `address`. `locked` while the account or
   * the address has reached its failure limit (with the time left); `wait` while the checks
   * already running could, if all failed, reach the account's limit — so parallel guesses
   * never get past it, and a correct password waits a moment instead of being refused;
   * otherwise `go`, and the caller must report the outcome with {@link endAttempt}.
   */
  async beginAttempt(account: string, address: string, limits: { maxFailures: number; maxAddressFailures: number }): Promise<AttemptGate> {
    const [state, retryAfterMs] = (await this.#redis.eval(
      BEGIN_ATTEMPT,
      3,
      this.#failureKey(account),
      this.#addressKey(address),
      this.#checkingKey(account),
      limits.maxFailures,
      limits.maxAddressFailures,
      CHECKING_TTL_MS,
    )) as [number, number];
    if (state < 0) return { state: 'locked', retryAfterMs: Math.max(0, retryAfterMs) };
    return state === 0 ? { state: 'wait' } : { state: 'go' };
  }

  /**
   * Ends a check that {@link beginAttempt} let go (`undecided`: it could not be made). A failure counts against the account and
   * the address for the window from their first failure; the failure that reaches a limit
   * restarts that window, so a lock lasts the whole window. A success clears the account's
   * failures (not the address's: one good account must not launder guesses at others).
   */
  async endAttempt(account: string, address: string, outcome: { outcome: 'succeeded' | 'failed' | 'undecided'; windowMs: number; maxFailures: number; maxAddressFailures: number }): Promise<void> {
    await this.#redis.eval(
      END_ATTEMPT,
      3,
      this.#failureKey(account),
      this.#addressKey(address),
      this.#checkingKey(account),
      outcome.outcome,
      outcome.windowMs,
      outcome.maxFailures,
      outcome.maxAddressFailures,
    );
  }

  #sessionKey(id: string): string {
    return `${this.#prefix}session:${hashed(id)}`;
  }

  #failureKey(account: string): string {
    return `${this.#prefix}login-failures:${hashed(account.toLowerCase())}`;
  }

  #addressKey(address: string): string {
    return `${this.#prefix}login-failures-from:${hashed(address)}`;
  }

  #checkingKey(account: string): string {
    return `${this.#prefix}login-checking:${hashed(account.toLowerCase())}`;
  }
}
