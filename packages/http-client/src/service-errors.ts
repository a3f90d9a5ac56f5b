import { ApiError, parseEnvelope } from '@wharf/errors';

/**
 * The call could not be completed: the service is unreachable, timed out, or kept answering
 * 5xx. The message names where it was called (`cannot reach http://adapter:8083 (the adapter
 * service): fetch failed`), for the people reading a job's or a task's status.
 */
export class ServiceUnavailableError extends Error {
  readonly service: string;

  constructor(service: string, reason: string, options?: { cause?: unknown; origin?: string }) {
    super(`cannot reach ${options?.origin ? `${options.origin} (${service})` : service}: ${reason}`, options);
    this.name = 'ServiceUnavailableError';
    this.service = service;
  }
}

/**
 * Another service's error answer read back into the error table: the code it gave (from
 * `{"errors":[{code,message}]}`; UNKNOWN when the body is not that envelope) and the
 * status it answered, so a NOT_FOUND from core stays a NOT_FOUND upstream.
 */
export class ServiceCallError extends ApiError {
  readonly service: string;

  constructor(service: string, parsed: ApiError) {
    super(parsed.code, { message: parsed.message, detail: parsed.detail, status: parsed.status });
    this.name = 'ServiceCallError';
    this.service = service;
  }

  /** True for an answer that will not change if the call is sent again: 4xx but 408 and 429. */
  get permanent(): boolean {
    return this.status >= 400 && this.status < 500 && this.status !== 408 && this.status !== 429;
  }
}

/** True when the connection was refused: nothing reached the other side, so any call may be sent again. */
export function isConnectionRefused(error: unknown): boolean {
  const cause = (error as { cause?: { code?: unknown; errors?: unknown } } | undefined)?.cause;
  if (!cause) return false;
  if (cause.code === 'ECONNREFUSED') return true;
  const errors = cause.errors;
  return Array.isArray(errors) && errors.length > 0 && errors.every((e) => (e as { code?: unknown }).code === 'ECONNREFUSED');
}

/** An answer's body: parsed JSON, or the text when it is not JSON. */
export async function readBody(response: Response): Promise<unknown> {
  const text = await response.text().catch(() => '');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** Reads an error answer of `service` (its body consumed) into a ServiceCallError. */
export async function serviceCallError(service: string, response: Response): Promise<ServiceCallError> {
  return new ServiceCallError(service, parseEnvelope(response.status, await readBody(response)));
}
