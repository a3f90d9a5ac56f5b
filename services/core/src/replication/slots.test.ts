import { describe, expect, it } from 'vitest';
import { Slots } from './slots.js';

describe('execution slots', () => {
  it('runs at most the given number at once and starts the others in the order they came', async () => {
    const slots = new Slots(2);
    const started: number[] = [];
    const releases: (() => void)[] = [];
    let running = 0;
    let most = 0;
    const jobs = [1, 2, 3, 4, 5].map((n) =>
      slots.run(async () => {
        started.push(n);
        running += 1;
        most = Math.max(most, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        running -= 1;
      }),
    );
    await Promise.resolve();
    expect(started).toEqual([1, 2]);
    expect(slots.waiting).toBe(3);
    while (releases.length > 0 || started.length < 5) {
      releases.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    releases.forEach((release) => release());
    await Promise.all(jobs);
    expect(started).toEqual([1, 2, 3, 4, 5]);
    expect(most).toBe(2);
    expect(slots.busy).toBe(0);
  });

  it('frees the slot when a job fails', async () => {
    const slots = new Slots(1);
    await expect(slots.run(() => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(await slots.run(async () => 'next')).toBe('next');
    expect(slots.busy).toBe(0);
  });
});
