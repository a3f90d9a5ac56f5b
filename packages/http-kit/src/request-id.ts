import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { runWithRequestContext } from '@wharf/logging';

const SAFE_ID = /^[A-Za-z0-9._:-]{1,128}$/;
/** W3C trace context: `version-traceid-parentid-flags`. */
const TRACEPARENT = /^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;

/**
 * Sets `X-Request-Id` (the caller's when it is safe, otherwise a new UUID) and runs the rest
 * of the request inside the logging context, where `requestIdOf(res)` and every log line find
 * it, together with a well-formed `traceparent`, which calls to other services pass on.
 */
export function requestId() {
  return (req: Request, res: Response, next: NextFunction): void => {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && SAFE_ID.test(incoming) ? incoming : randomUUID();
    res.setHeader('X-Request-Id', id);
    const traceparent = req.headers.traceparent;
    runWithRequestContext(typeof traceparent === 'string' && TRACEPARENT.test(traceparent) ? { requestId: id, traceparent } : { requestId: id }, next);
  };
}

/** The request id `requestId()` gave this request. */
export function requestIdOf(res: Response): string {
  return String(res.getHeader('X-Request-Id') ?? '');
}
