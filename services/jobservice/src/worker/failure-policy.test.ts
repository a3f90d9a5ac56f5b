import { describe, expect, it } from 'vitest';
import { ApiError } from '@wharf/errors';
import { ServiceCallError } from '@wharf/http-client';

/** An answer of a service a job called, with its status. */
const answered = (message: string, status: number) => new ServiceCallError('the adapter service', new ApiError('UNKNOWN', { message, status }));
import { PermanentJobError } from '../jobs/job.js';
import { describeFailure, isOutage, planFailure, type RetryPolicy } from './failure-policy.js';

const policy: RetryPolicy = { baseDelayMs: 2000, maxDelayMs: 300_000, outageWindowMs: 60_000, outageMaxDelayMs: 15_000 };
const replication = { maxFails: 3, shouldRetry: (error: unknown) => !(error instanceof PermanentJobError) };
const gc = { maxFails: 1, shouldRetry: () => false };
/** The backoff's ceiling (full jitter drawn at its top). */
const noJitter = () => 1;

/** What fetch throws when nothing listens: a TypeError whose cause carries the code. */
function refused(): Error {
  const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8083'), { code: 'ECONNREFUSED' });
  return new Error('cannot reach http://127.0.0.1:8083: fetch failed', { cause: new TypeError('fetch failed', { cause }) });
}

describe('isOutage', () => {
  it('knows a refused, reset or timed-out connection and a 502/503/504 answer', () => {
    expect(isOutage(refused())).toBe(true);
    expect(isOutage(Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }))).toBe(true);
    expect(isOutage(new TypeError('terminated', { cause: Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' }) }))).toBe(true);
    expect(isOutage(new DOMException('The operation was aborted due to timeout', 'TimeoutError'))).toBe(true);
    expect(isOutage(new AggregateError([Object.assign(new Error('a'), { code: 'ECONNREFUSED' }), Object.assign(new Error('b'), { code: 'ETIMEDOUT' })]))).toBe(true);
    for (const status of [502, 503, 504]) expect(isOutage(answered('down', status)), String(status)).toBe(true);
  });

  it('does not take a permanent failure, another status or an ordinary error for an outage', () => {
    expect(isOutage(new PermanentJobError('not found', { cause: answered('not found', 404) }))).toBe(false);
    expect(isOutage(new PermanentJobError('gone', { cause: refused() }))).toBe(false);
    expect(isOutage(answered('boom', 500))).toBe(false);
    expect(isOutage(answered('slow down', 429))).toBe(false);
    expect(isOutage(new Error('digest mismatch'))).toBe(false);
    expect(isOutage('ECONNREFUSED')).toBe(false);
  });
});

describe('describeFailure', () => {
  it('joins the messages of the causes that add something', () => {
    expect(describeFailure(refused())).toBe('cannot reach http://127.0.0.1:8083: fetch failed: connect ECONNREFUSED 127.0.0.1:8083');
    expect(describeFailure(new Error('x'.repeat(2000))).length).toBe(1000);
    expect(describeFailure('plain')).toBe('plain');
  });
});

describe('planFailure', () => {
  const plan = (input: Partial<Parameters<typeof planFailure>[0]> & { error: unknown }) =>
    planFailure({ type: replication, fails: 0, outageSince: undefined, nowMs: 1_000_000, policy, random: noJitter, ...input });

  it('retries an outage for the whole window, waiting as long as it lasted so far (base to max), without using up max fails', () => {
    const start = 1_000_000;
    const first = plan({ error: refused(), nowMs: start, fails: 2 });
    expect(first).toMatchObject({ action: 'retry', delayMs: 2000, outageSince: start });
    expect(first.message).toMatch(/ECONNREFUSED/);
    expect(plan({ error: refused(), nowMs: start + 6000, outageSince: start, fails: 2 })).toMatchObject({ action: 'retry', delayMs: 6000, outageSince: start });
    expect(plan({ error: refused(), nowMs: start + 40_000, outageSince: start })).toMatchObject({ action: 'retry', delayMs: 15_000 });
    // The last attempt falls at the window's end.
    expect(plan({ error: refused(), nowMs: start + 55_000, outageSince: start })).toMatchObject({ action: 'retry', delayMs: 5000 });
    const last = plan({ error: refused(), nowMs: start + 60_000, outageSince: start });
    expect(last.action).toBe('error');
    expect(last.message).toMatch(/ECONNREFUSED.*still failing after 60 s of retries/);
  });

  it('retries outages of every job type, even one that never retries an ordinary failure', () => {
    expect(plan({ error: answered('/internal/gc answered 503', 503), type: gc })).toMatchObject({ action: 'retry', outageSince: 1_000_000 });
    expect(plan({ error: new Error('gc failed'), type: gc })).toEqual({ action: 'error', message: 'gc failed' });
  });

  it('keeps the type\'s max fails with exponential backoff for an ordinary failure, and ends a permanent one at once', () => {
    expect(plan({ error: new Error('flaky'), fails: 0 })).toEqual({ action: 'retry', delayMs: 2000, message: 'flaky' });
    expect(plan({ error: new Error('flaky'), fails: 1 })).toEqual({ action: 'retry', delayMs: 4000, message: 'flaky' });
    expect(plan({ error: new Error('flaky'), fails: 2 })).toEqual({ action: 'error', message: 'flaky (failed 3 times)' });
    // An ordinary failure after an outage is not an outage any more.
    expect(plan({ error: new Error('flaky'), outageSince: 1 })).not.toHaveProperty('outageSince');
    expect(plan({ error: new PermanentJobError('adapter: blob unknown'), fails: 0 })).toEqual({ action: 'error', message: 'adapter: blob unknown' });
  });
});
