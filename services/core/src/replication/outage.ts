import { ApiError } from '@wharf/errors';
import { backoffDelay } from '@wharf/http-client';
import { isOperationalError } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';

/**
 * A failure that waiting can mend: a service of the suite or the database unreachable or
 * restarting. A service that answered (a 5xx relaying a foreign registry's failure) is not
 * an outage of the suite: the step fails at once, as Harbor's does.
 */
export function isOutage(error: unknown): boolean {
  if (error instanceof ApiError) return error.code === 'UNAVAILABLE' && isOperationalError(error.cause);
  if (error instanceof AggregateError) return error.errors.length > 0 && error.errors.every(isOutage);
  return isOperationalError(error);
}

export interface OutageRetry {
  /** How long an outage is waited out from its first failure before the step fails (0: never retried). */
  windowMs: number;
  logger: Logger;
  /** The suite's one backoff (see @wharf/http-client's backoffDelay): the first pause's ceiling (default 1 s), doubled after each failure up to `maxDelayMs` (default 15 s). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Randomness of the backoff (tests). */
  random?: () => number;
}

/**
 * Runs one step of a replication flow (listing the source, preparing the destination,
 * creating a task), waiting out an outage of what it calls with backoff for up to
 * `windowMs`; any other failure, or an outage that lasts longer, is thrown.
 */
export async function retryThroughOutage<T>(what: string, step: () => Promise<T>, options: OutageRetry): Promise<T> {
  const started = Date.now();
  const policy = { baseMs: options.baseDelayMs ?? 1000, maxMs: options.maxDelayMs ?? 15_000 };
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await step();
    } catch (error) {
      const delay = backoffDelay(attempt, policy, options.random);
      if (!isOutage(error) || Date.now() - started + delay > options.windowMs) throw error;
      options.logger.warn('replication step waits out an outage', { step: what, attempt, retryInMs: delay, err: error });
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
