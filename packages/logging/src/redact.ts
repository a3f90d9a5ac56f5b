import { format, type Logform } from 'winston';

const SENSITIVE_KEY = /^(authorization|proxy-authorization|cookie|set-cookie|password|passwd|secret|token|access_token|refresh_token|id_token|client_secret|private_key|privatekey|credential|credentials)$/i;
const REDACTED = '[redacted]';

/** Replaces credential-bearing values, recursively, with `[redacted]`. */
export function redactValue(value: unknown, depth = 0): unknown {
  if (depth > 8 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value;
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function' && !Array.isArray(value)) {
    return redactValue((value as { toJSON: () => unknown }).toJSON(), depth + 1);
  }
  if (Array.isArray(value)) return value.map((item) => redactValue(item, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] = SENSITIVE_KEY.test(key) ? REDACTED : redactValue(inner, depth + 1);
  }
  return out;
}

/** The winston format that applies `redactValue` to every entry's metadata. */
export const redact: () => Logform.Format = format((info) => {
  for (const key of Object.keys(info)) {
    if (key === 'level' || key === 'message') continue;
    info[key] = SENSITIVE_KEY.test(key) ? REDACTED : redactValue(info[key]);
  }
  return info;
});
