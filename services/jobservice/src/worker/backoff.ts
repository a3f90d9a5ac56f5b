/**
 * Exponential backoff: `base * 2^(attempt-1)` capped at `max`, spread by ±`jitter`
 * (Harbor's hook agent: base 2 s, factor 2, randomisation 0.5).
 */
export function backoffDelay(attempt: number, options: { baseMs: number; maxMs: number; jitter?: number; random?: () => number }): number {
  const exponent = Math.max(0, Math.min(attempt - 1, 30));
  const raw = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const jitter = options.jitter ?? 0;
  const spread = raw * jitter * (2 * (options.random ?? Math.random)() - 1);
  return Math.max(0, Math.min(options.maxMs, Math.round(raw + spread)));
}
