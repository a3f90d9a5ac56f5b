/** How long to wait before starting a service again after it died or failed to start. */
export interface BackoffPolicy {
  /** The first wait (1 s). */
  initialMs: number;
  /** Waits double up to this (30 s). */
  maxMs: number;
  /** A process that stayed up this long starts the count again at `initialMs` (60 s). */
  resetAfterMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 30_000, resetAfterMs: 60_000 };

/**
 * The waits of one service: 1 s, 2 s, 4 s … up to 30 s while it keeps dying soon after it
 * starts (or never gets ready), back to 1 s once a run has lasted `resetAfterMs` (as
 * Kubernetes' CrashLoopBackOff and compose's `restart: always` do).
 */
export class RestartBackoff {
  private readonly policy: BackoffPolicy;
  private nextMs: number;

  constructor(policy: BackoffPolicy = DEFAULT_BACKOFF) {
    this.policy = policy;
    this.nextMs = policy.initialMs;
  }

  /** The wait before the next start, given how long the last run was up (0: it never got ready). */
  next(upForMs: number): number {
    if (upForMs >= this.policy.resetAfterMs) this.nextMs = this.policy.initialMs;
    const delay = this.nextMs;
    this.nextMs = Math.min(this.nextMs * 2, this.policy.maxMs);
    return delay;
  }
}

/** `1 s`, `500 ms`, `30 s` — for messages. */
export function formatDelay(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${Math.round(ms / 100) / 10} s`;
}
