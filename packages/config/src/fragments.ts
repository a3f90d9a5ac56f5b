import bytes from 'bytes';
import ms from 'ms';
import { z } from 'zod';
import { Secret } from './secret.js';

/** A TCP port, 0–65535 (0 lets the OS choose, which tests use). */
export const port = () => z.coerce.number().int().min(0).max(65535);

/** An absolute URL with one of the given protocols. */
export const url = (protocols: readonly string[] = ['http:', 'https:']) =>
  z.string().refine(
    (value) => {
      try {
        return protocols.includes(new URL(value).protocol);
      } catch {
        return false;
      }
    },
    { message: `must be an absolute URL (${protocols.join(', ')})` },
  );

/** A duration such as `30s`, `15m`, `24h` or a plain number of milliseconds; parsed to milliseconds. */
export const duration = () =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : /^\d+$/.test(value.trim()) ? Number(value) : ms(value.trim() as ms.StringValue);
    if (typeof parsed !== 'number' || !Number.isFinite(parsed) || parsed < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a duration such as 500ms, 30s, 15m, 24h' });
      return z.NEVER;
    }
    return parsed;
  });

/** A size such as `4mb`, `512kb`, `1gb` (1024-based) or a plain number of bytes; parsed to bytes. */
export const byteSize = () =>
  z.union([z.number(), z.string()]).transform((value, ctx) => {
    const parsed = typeof value === 'number' ? value : bytes.parse(value.trim());
    if (parsed === null || !Number.isFinite(parsed) || parsed < 0) {
      ctx.addIssue({ code: 'custom', message: 'must be a size such as 512kb, 4mb, 1gb' });
      return z.NEVER;
    }
    return parsed;
  });

/** `true`/`false`, `1`/`0`, `yes`/`no`, `on`/`off`. */
export const bool = () =>
  z.union([z.boolean(), z.string()]).transform((value, ctx) => {
    if (typeof value === 'boolean') return value;
    const normalised = value.trim().toLowerCase();
    if (['true', '1', 'yes', 'on'].includes(normalised)) return true;
    if (['false', '0', 'no', 'off'].includes(normalised)) return false;
    ctx.addIssue({ code: 'custom', message: 'must be true or false' });
    return z.NEVER;
  });

/** A non-empty secret string, wrapped so that it never appears in logs. */
export const secret = (minLength = 1) =>
  z
    .string()
    .min(minLength, { message: `must be at least ${minLength} characters` })
    .transform((value) => new Secret(value));

/** The log level every service accepts. */
export const logLevel = () => z.enum(['error', 'warn', 'info', 'debug']);
