import { describe, expect, it } from 'vitest';
import { formatDelay, RestartBackoff } from './restart-backoff.js';

describe('RestartBackoff', () => {
  it('waits 1 s, then doubles up to 30 s while the service keeps dying soon after it starts', () => {
    const backoff = new RestartBackoff();
    expect(Array.from({ length: 8 }, () => backoff.next(5_000))).toEqual([1000, 2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('counts a start that never got ready as a run of no time', () => {
    const backoff = new RestartBackoff({ initialMs: 100, maxMs: 1000, resetAfterMs: 10_000 });
    expect([backoff.next(0), backoff.next(0), backoff.next(0)]).toEqual([100, 200, 400]);
  });

  it('starts again from the first wait once a run lasted the reset time', () => {
    const backoff = new RestartBackoff({ initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 });
    for (let i = 0; i < 5; i += 1) backoff.next(1000);
    expect(backoff.next(59_999)).toBe(30_000);
    expect(backoff.next(60_000)).toBe(1000);
    expect(backoff.next(10)).toBe(2000);
  });
});

describe('formatDelay', () => {
  it('writes waits as people read them', () => {
    expect([formatDelay(250), formatDelay(1000), formatDelay(1500), formatDelay(30_000)]).toEqual(['250 ms', '1 s', '1.5 s', '30 s']);
  });
});
