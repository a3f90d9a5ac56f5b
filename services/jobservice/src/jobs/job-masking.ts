import type { JobStatsV1 } from '@wharf/contracts';

/** What a secret reads as in the API. */
export const MASKED = '*****';

/**
 * Keys whose values are secrets: a registry credential's `access_secret`, passwords, tokens,
 * keys, an Authorization header. `access_key` (the user name) is not one.
 */
const SECRET_KEY = /(secret|secret_?key|password|passwd|token|private_?key|api_?key|authorization)$/i;

function maskValue(value: unknown, depth: number): unknown {
  if (depth > 20) return value;
  if (typeof value === 'string') return maskJsonText(value, depth);
  if (Array.isArray(value)) return value.map((item) => maskValue(item, depth + 1));
  if (value && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value as Record<string, unknown>)) {
      out[key] = SECRET_KEY.test(key) && (typeof item === 'string' || typeof item === 'number') && item !== '' ? MASKED : maskValue(item, depth + 1);
    }
    return out;
  }
  return value;
}

/** A parameter holding JSON (REPLICATION's `src_resource`/`dst_resource`) is masked inside and written back as JSON. */
function maskJsonText(text: string, depth: number): string {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return text;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return text;
  }
  const masked = maskValue(parsed, depth + 1);
  const out = JSON.stringify(masked);
  return out === JSON.stringify(parsed) ? text : out;
}

/** A job's parameters with every secret (at any depth, inside JSON strings too) replaced by `*****`. */
export function maskParameters(parameters: Record<string, unknown>): Record<string, unknown> {
  return maskValue(parameters, 0) as Record<string, unknown>;
}

/** The stats as the API shows them: parameters masked. */
export function maskStats(stats: JobStatsV1): JobStatsV1 {
  return stats.parameters ? { ...stats, parameters: maskParameters(stats.parameters) } : stats;
}
