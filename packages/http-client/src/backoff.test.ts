import { describe, expect, it } from 'vitest';
import { backoffCeiling, backoffDelay } from './backoff.js';

const policy = { baseMs: 100, maxMs: 1000 };

describe('backoffDelay', () => {
  it('doubles its ceiling per attempt and stops at the cap', () => {
    expect([1, 2, 3, 4, 5, 6, 40].map((attempt) => backoffCeiling(attempt, policy))).toEqual([100, 200, 400, 800, 1000, 1000, 1000]);
  });

  it('draws the whole range from 0 to the ceiling (full jitter)', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.5)).toBe(200);
    expect(backoffDelay(3, policy, () => 1)).toBe(400);
    expect(backoffDelay(30, policy, () => 1)).toBe(1000);
  });

  it('never waits less than nothing, nor more than the cap, whatever the attempt', () => {
    for (const attempt of [-3, 0, 1, 10, 1000]) {
      const delay = backoffDelay(attempt, policy);
      expect(delay).toBeGreaterThanOrEqual(0);
      expect(delay).toBeLessThanOrEqual(1000);
    }
  });
});
