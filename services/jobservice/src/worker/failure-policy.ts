import { backoffDelay, ServiceCallError } from '@wharf/http-client';
import { isOperationalError } from '@wharf/http-kit';
import { PermanentJobError } from '../jobs/job.js';

/** How a failed run is retried: every job type's ordinary failures, and dependency outages. */
export interface RetryPolicy {
  /** First delay ceiling of an ordinary failure's retry; doubles per failure up to `maxDelayMs` (the suite's one backoff, full jitter). */
  baseDelayMs: number;
  maxDelayMs: number;
  /** How long a dependency outage is retried before the job fails. */
  outageWindowMs: number;
  /** Longest wait between two attempts during an outage. */
  outageMaxDelayMs: number;
}

/** Answers of a proxy or a service that is down or restarting. */
const OUTAGE_STATUSES = new Set([502, 503, 504]);

/**
 * True when a failure is an outage of a service the job calls (the adapter, the registry):
 * it could not connect, the connection was reset, a call timed out, or it answered
 * 502/503/504. A permanent failure (a 4xx) never is, whatever its cause.
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof PermanentJobError) return false;
  if (error instanceof ServiceCallError) return OUTAGE_STATUSES.has(error.status);
  // A lost, refused or timed-out connection, by the suite's one rule (its causes included).
  return isOperationalError(error);
}

/**
 * A failure as one line for people: its message followed by those of its causes that add
 * something (`cannot reach http://adapter:8083: fetch failed: connect ECONNREFUSED …`).
 */
export function describeFailure(error: unknown, maxLength = 1000): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; depth < 6 && current !== undefined && current !== null; depth++) {
    const inner: unknown = current instanceof AggregateError && current.errors.length > 0 ? (current.errors as unknown[])[0] : undefined;
    const message = current instanceof Error ? current.message || (inner instanceof Error ? inner.message : '') || current.name : typeof current === 'string' ? current : String(JSON.stringify(current));
    if (message && !parts.some((part) => part.includes(message))) parts.push(message);
    current = current instanceof Error ? (current.cause ?? inner) : undefined;
  }
  const text = parts.join(': ') || 'unknown failure';
  return text.length > maxLength ? `${text.slice(0, maxLength - 1)}…` : text;
}

export type FailurePlan =
  | { action: 'retry'; delayMs: number; message: string; outageSince?: number }
  | { action: 'error'; message: string };

/**
 * What becomes of a failed run (Harbor's retry rules plus outages), decided in one place for
 * every job type:
 * - a permanent failure ends the job (Error) at once;
 * - a dependency outage is retried until it has lasted `outageWindowMs` (counted from its
 *   first failure, kept in `outageSince`), waiting up to as long as it has lasted so far
 *   (that ceiling between the base and the outage max delay, full jitter below it), with a
 *   last attempt at the window's end; it does not use up the type's `maxFails`;
 * - any other failure is retried while the type's `shouldRetry` says so and fewer than
 *   `maxFails` failures happened, with the suite's one backoff (exponential, full jitter).
 */
export function planFailure(input: {
  error: unknown;
  type: { maxFails: number; shouldRetry(error: unknown): boolean };
  /** Ordinary failures before this one. */
  fails: number;
  /** When the outage the job is riding out began, if it is. */
  outageSince: number | undefined;
  nowMs: number;
  policy: RetryPolicy;
  random?: () => number;
}): FailurePlan {
  const { error, type, fails, nowMs, policy } = input;
  const message = describeFailure(error);
  if (error instanceof PermanentJobError) return { action: 'error', message };
  if (isOutage(error)) {
    const since = input.outageSince ?? nowMs;
    const elapsed = Math.max(0, nowMs - since);
    if (elapsed >= policy.outageWindowMs) {
      return { action: 'error', message: `${message} (still failing after ${Math.round(elapsed / 1000)} s of retries)` };
    }
    const wait = Math.min(policy.outageMaxDelayMs, Math.max(policy.baseDelayMs, elapsed));
    const jittered = backoffDelay(1, { baseMs: wait, maxMs: policy.outageMaxDelayMs }, input.random);
    // The last attempt falls at the window's end, so an outage as long as the window is ridden out.
    const delayMs = Math.max(0, Math.min(jittered, since + policy.outageWindowMs - nowMs));
    return { action: 'retry', delayMs, message, outageSince: since };
  }
  const failures = fails + 1;
  if (type.shouldRetry(error) && failures < type.maxFails) {
    const delayMs = backoffDelay(failures, { baseMs: policy.baseDelayMs, maxMs: policy.maxDelayMs }, input.random);
    return { action: 'retry', delayMs, message };
  }
  return { action: 'error', message: type.maxFails > 1 ? `${message} (failed ${failures} times)` : message };
}
