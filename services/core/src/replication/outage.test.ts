import { PassThrough } from 'node:stream';
import { ApiError } from '@wharf/errors';
import { createLogger } from '@wharf/logging';
import { describe, expect, it } from 'vitest';
import { isOutage, retryThroughOutage } from './outage.js';

const logger = createLogger({ service: 'test', stream: new PassThrough().resume() });
const refused = () => Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8083'), { code: 'ECONNREFUSED' });

describe('retryThroughOutage', () => {
  it('waits out an outage of what the step calls and returns its result', async () => {
    let calls = 0;
    const result = await retryThroughOutage(
      'list',
      async () => {
        calls += 1;
        if (calls < 3) throw new ApiError('UNAVAILABLE', { message: 'the adapter service cannot be reached', cause: new TypeError('fetch failed', { cause: refused() }) });
        return 'listed';
      },
      { windowMs: 5000, logger, baseDelayMs: 10 },
    );
    expect(result).toBe('listed');
    expect(calls).toBe(3);
  });

  it('fails at once on anything but an outage', async () => {
    let calls = 0;
    const step = async () => {
      calls += 1;
      throw new ApiError('NOT_FOUND', { message: 'registry 4 not found' });
    };
    await expect(retryThroughOutage('list', step, { windowMs: 5000, logger, baseDelayMs: 10 })).rejects.toThrow('registry 4 not found');
    expect(calls).toBe(1);
  });

  it('gives up once the outage outlasts the window', async () => {
    let calls = 0;
    const step = async () => {
      calls += 1;
      throw refused();
    };
    await expect(retryThroughOutage('list', step, { windowMs: 100, logger, baseDelayMs: 20, maxDelayMs: 20, random: () => 1 })).rejects.toThrow('ECONNREFUSED');
    expect(calls).toBeGreaterThan(1);
    expect(calls).toBeLessThan(10);
  });

  it('counts a database restart and an unreachable service as outages, a bad request or a relayed failure not', () => {
    expect(isOutage(Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' }))).toBe(true);
    expect(isOutage(refused())).toBe(true);
    expect(isOutage(new ApiError('BAD_REQUEST', { message: 'bad filter' }))).toBe(false);
    expect(isOutage(new ApiError('UNAVAILABLE', { message: 'the adapter service answered 502: the source registry answered 500' }))).toBe(false);
    expect(isOutage(new AggregateError([refused(), refused()]))).toBe(true);
  });
});
