import type { NextFunction, Request, Response } from 'express';
import { ApiError, toEnvelope } from '@wharf/errors';
import type { Logger } from '@wharf/logging';
import { ZodError } from 'zod';
import { isOperationalError } from './process-guards.js';

/** Maps a service's domain errors to ApiErrors (each service's `src/http/errors.ts`); undefined when unknown. */
export type ErrorMapper = (error: unknown, req: Request) => ApiError | undefined;

export interface ErrorMiddlewareOptions {
  logger: Logger;
  mapError?: ErrorMapper;
  /** Headers to add to an error answer (the registry's `Docker-Distribution-API-Version`). */
  headers?: (error: ApiError, req: Request) => Record<string, string> | undefined;
}

/**
 * The one place where an error becomes a response. Everything answers with the
 * `{"errors":[…]}` envelope; HEAD answers carry none. A lost or refused connection to a
 * dependency becomes UNAVAILABLE (503, `Retry-After`); other errors without an API
 * meaning become UNKNOWN and are logged with their stack and request id.
 */
export function errorMiddleware(options: ErrorMiddlewareOptions) {
  // express recognises an error handler by its four parameters.
  return (error: unknown, req: Request, res: Response, _next: NextFunction): void => {
    const apiError = toApiError(error, req, options);
    if (res.headersSent) {
      options.logger.warn('error after response started', { err: error, status: res.statusCode });
      res.destroy();
      return;
    }
    const extra = options.headers?.(apiError, req);
    if (extra) res.set(extra);
    // A dependency restarting: clients may try again shortly.
    if (apiError.code === 'UNAVAILABLE' && !res.get('Retry-After')) res.set('Retry-After', '1');
    res.status(apiError.status);
    if (req.method === 'HEAD') {
      res.end();
      return;
    }
    res.json(toEnvelope(apiError));
  };
}

function toApiError(error: unknown, req: Request, options: ErrorMiddlewareOptions): ApiError {
  if (error instanceof ApiError) return error;
  const mapped = options.mapError?.(error, req);
  if (mapped) return mapped;
  if (error instanceof ZodError) {
    return new ApiError('BAD_REQUEST', { message: 'invalid request', detail: error.issues });
  }
  const httpError = error as { status?: unknown; type?: unknown; expose?: unknown; message?: unknown };
  if (typeof httpError.status === 'number' && httpError.status >= 400 && httpError.status < 500 && httpError.expose) {
    // body-parser style errors (entity.too.large, entity.parse.failed, request.aborted)
    const code = httpError.status === 413 ? 'PAYLOAD_TOO_LARGE' : 'BAD_REQUEST';
    return new ApiError(code, { message: String(httpError.message), status: httpError.status });
  }
  if (isOperationalError(error)) {
    // The database, Redis or another service is restarting: not a bug, and worth a retry.
    options.logger.warn('dependency unavailable', { err: error, method: req.method, path: req.path });
    return new ApiError('UNAVAILABLE', { message: 'a service this request needs is unavailable; try again shortly' });
  }
  options.logger.error('unhandled error', { err: error, method: req.method, path: req.path });
  return new ApiError('UNKNOWN');
}

/** Answers every route nobody claimed with NOT_FOUND in the envelope. */
export function notFound() {
  return (req: Request, _res: Response, next: NextFunction): void => {
    next(new ApiError('NOT_FOUND', { message: `no route for ${req.method} ${req.path}` }));
  };
}
