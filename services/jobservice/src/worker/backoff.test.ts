import { describe, expect, it } from 'vitest';
import { backoffDelay } from './backoff.js';

describe('backoffDelay', () => {
  it('doubles from the base per attempt and stops at the cap', () => {
    const delays = [1, 2, 3, 4, 5, 6, 7].map((attempt) => backoffDelay(attempt, { baseMs: 2000, maxMs: 30_000 }));
    expect(delays).toEqual([2000, 4000, 8000, 16_000, 30_000, 30_000, 30_000]);
  });

  it('spreads by the jitter and never exceeds the cap', () => {
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 10_000, jitter: 0.5, random: () => 0 })).toBe(500);
    expect(backoffDelay(1, { baseMs: 1000, maxMs: 10_000, jitter: 0.5, random: () => 1 })).toBe(1500);
    expect(backoffDelay(10, { baseMs: 1000, maxMs: 10_000, jitter: 0.5, random: () => 1 })).toBe(10_000);
  });
});
