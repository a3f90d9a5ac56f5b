import { ApiError, type ErrorCode } from '@wharf/errors';
import type { z } from 'zod';

/**
 * Parses `value` with `schema`; on failure throws an ApiError with the given code (BAD_REQUEST
 * unless the route asks for a protocol code such as NAME_INVALID) and the issues in `detail`.
 */
export function validate<S extends z.ZodType>(schema: S, value: unknown, code: ErrorCode = 'BAD_REQUEST'): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issues = result.error.issues.map((issue) => ({ path: issue.path.map(String).join('.'), message: issue.message }));
  const first = issues[0];
  throw new ApiError(code, {
    message: first ? `${first.path ? `${first.path}: ` : ''}${first.message}` : undefined,
    detail: issues,
  });
}
