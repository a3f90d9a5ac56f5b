import { setTimeout as sleep } from 'node:timers/promises';

/** Paces bytes: `take(n)` resolves once sending `n` more bytes keeps the average under the rate. */
export interface SpeedLimiter {
  take(bytes: number, signal?: AbortSignal): Promise<void>;
}

export const unlimited: SpeedLimiter = { take: async () => undefined };

export interface Clock {
  now(): number;
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => performance.now(),
  sleep: (ms, signal) => sleep(ms, undefined, { signal }),
};

/**
 * A token bucket of `kilobytesPerSecond` KiB/s (Harbor's `speed`, ≤ 0 = unlimited) holding
 * at most `burstMs` worth of tokens, shared by every blob of one task.
 */
export function createSpeedLimiter(kilobytesPerSecond: number | undefined, clock: Clock = systemClock, burstMs = 250): SpeedLimiter {
  if (!kilobytesPerSecond || kilobytesPerSecond <= 0) return unlimited;
  const rate = kilobytesPerSecond * 1024; // bytes per second
  const capacity = Math.max(rate * (burstMs / 1000), 1);
  let tokens = capacity;
  let last = clock.now();
  // Callers wait in line, so one large take does not starve the others.
  let queue: Promise<void> = Promise.resolve();
  return {
    take(bytes, signal) {
      const turn = queue.then(async () => {
        const now = clock.now();
        tokens = Math.min(capacity, tokens + ((now - last) / 1000) * rate);
        last = now;
        tokens -= bytes;
        if (tokens < 0) {
          const waitMs = (-tokens / rate) * 1000;
          await clock.sleep(waitMs, signal);
          tokens = 0;
          last = clock.now();
        }
      });
      queue = turn.catch(() => undefined);
      return turn;
    },
  };
}
