/** The suite's one backoff policy: where it starts and where it stops growing. */
export interface BackoffPolicy {
  /** The ceiling of the first wait; it doubles per attempt. */
  baseMs: number;
  /** The ceiling never grows past this. */
  maxMs: number;
}

/**
 * The wait before attempt `attempt + 1` after `attempt` failures (1 = the first failure):
 * exponential with full jitter, capped — a uniform draw between 0 and
 * `min(maxMs, baseMs * 2^(attempt-1))`. Full jitter spreads the retries of many callers
 * that failed together (a restart), so they do not come back in step. Every retry between
 * the suite's services, in memory or durable, waits by this.
 */
export function backoffDelay(attempt: number, policy: BackoffPolicy, random: () => number = Math.random): number {
  return Math.round(random() * backoffCeiling(attempt, policy));
}

/** The longest wait `backoffDelay` may give after `attempt` failures. */
export function backoffCeiling(attempt: number, policy: BackoffPolicy): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  return Math.max(0, Math.min(policy.maxMs, policy.baseMs * 2 ** exponent));
}
