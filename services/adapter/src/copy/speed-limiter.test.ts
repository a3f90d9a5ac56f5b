import { describe, expect, it } from 'vitest';
import { createSpeedLimiter, unlimited, type Clock } from './speed-limiter.js';

function fakeClock(): Clock & { slept: number[] } {
  let now = 0;
  const slept: number[] = [];
  return {
    slept,
    now: () => now,
    sleep: async (ms) => {
      slept.push(ms);
      now += ms;
    },
  };
}

describe('createSpeedLimiter', () => {
  it('is unlimited for 0, negative or no speed', () => {
    expect(createSpeedLimiter(0)).toBe(unlimited);
    expect(createSpeedLimiter(-1)).toBe(unlimited);
    expect(createSpeedLimiter(undefined)).toBe(unlimited);
  });

  it('paces bytes to the rate after the burst', async () => {
    const clock = fakeClock();
    const limiter = createSpeedLimiter(100, clock, 0); // 100 KiB/s, no burst
    for (let i = 0; i < 10; i++) await limiter.take(10 * 1024);
    // 100 KiB at 100 KiB/s: one second in all.
    expect(clock.now()).toBeCloseTo(1000 - 0, -1);
  });

  it('lets a burst through at once, then waits', async () => {
    const clock = fakeClock();
    const limiter = createSpeedLimiter(1024, clock, 250); // 1 MiB/s, 256 KiB burst
    await limiter.take(256 * 1024);
    expect(clock.slept).toEqual([]);
    await limiter.take(512 * 1024);
    expect(clock.slept[0]).toBeCloseTo(500, 0);
  });

  it('serves concurrent takers in turn', async () => {
    const clock = fakeClock();
    const limiter = createSpeedLimiter(1, clock, 0); // 1 KiB/s
    await Promise.all([limiter.take(1024), limiter.take(1024), limiter.take(1024)]);
    expect(clock.now()).toBeGreaterThan(2990);
    expect(clock.now()).toBeLessThanOrEqual(3000);
  });
});
