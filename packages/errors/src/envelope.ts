import { ApiError, type ErrorBody } from './api-error.js';
import { isErrorCode } from './codes.js';

export interface ErrorEnvelope {
  errors: ErrorBody[];
}

/** The one wire shape of every error answer: `{"errors":[{code,message,detail?}]}`. */
export function toEnvelope(errors: ApiError | readonly ApiError[]): ErrorEnvelope {
  const list: readonly ApiError[] = errors instanceof ApiError ? [errors] : errors;
  return { errors: list.map((e) => e.toJSON()) };
}

/**
 * Turns another service's error answer back into an ApiError, so that a NOT_FOUND from
 * core stays a NOT_FOUND upstream. Unknown codes and bodies that are not an envelope
 * become UNKNOWN with the original status.
 */
export function parseEnvelope(status: number, body: unknown): ApiError {
  const first = isEnvelope(body) ? body.errors[0] : undefined;
  if (first && isErrorCode(first.code)) {
    return new ApiError(first.code, { message: first.message, detail: first.detail, status });
  }
  const message = first?.message ?? (typeof body === 'string' && body.length > 0 ? body.slice(0, 500) : undefined);
  return new ApiError('UNKNOWN', { status, message, detail: first?.code ? { code: first.code } : undefined });
}

function isEnvelope(body: unknown): body is ErrorEnvelope {
  return (
    typeof body === 'object' &&
    body !== null &&
    Array.isArray((body as { errors?: unknown }).errors) &&
    (body as ErrorEnvelope).errors.every((e) => typeof e === 'object' && e !== null && typeof e.code === 'string')
  );
}
