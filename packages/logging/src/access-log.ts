import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { Logger } from 'winston';
import { currentRequestContext } from './request-context.js';

export interface AccessLogOptions {
  /** Paths logged at debug instead of info (health checks, metrics scrapes). */
  quietPaths?: readonly string[];
}

/** What each connection had read when its last request ended. */
const readAtLastEnd = new WeakMap<Socket, number>();

/**
 * Writes exactly one `request completed` line per request, when the response finishes
 * or the connection closes early. The query string is left out: it can carry
 * credentials (presigned URLs, tokens).
 */
export function accessLog(logger: Logger, options: AccessLogOptions = {}) {
  const quiet = new Set(options.quietPaths ?? ['/healthz', '/readyz', '/metrics']);
  return (req: IncomingMessage, res: ServerResponse, next: () => void): void => {
    const started = process.hrtime.bigint();
    // A keep-alive connection carries many requests: a body without Content-Length is
    // counted as what the connection read since the previous request on it ended.
    // Read now: once the connection is gone (a client hanging up, a 413 closing it) the
    // request no longer holds its socket, and the line is written after that.
    const socket = req.socket as Socket | null;
    const remoteAddr = socket?.remoteAddress;
    const bytesReadBefore = socket ? (readAtLastEnd.get(socket) ?? 0) : 0;
    const context = currentRequestContext();
    let logged = false;
    const done = (): void => {
      if (logged) return;
      logged = true;
      const url = (req as IncomingMessage & { originalUrl?: string }).originalUrl ?? req.url ?? '/';
      const path = url.split('?')[0] ?? '/';
      const entry = {
        requestId: context?.requestId,
        method: req.method,
        path,
        status: res.statusCode,
        durationMs: Number(process.hrtime.bigint() - started) / 1e6,
        bytesIn: req.headers['content-length'] !== undefined ? Number(req.headers['content-length']) || 0 : Math.max(0, (socket?.bytesRead ?? 0) - bytesReadBefore),
        bytesOut: Number(res.getHeader('content-length') ?? 0) || undefined,
        userAgent: req.headers['user-agent'],
        remoteAddr,
        aborted: !res.writableFinished,
        user: context?.user,
      };
      if (socket) readAtLastEnd.set(socket, socket.bytesRead);
      if (quiet.has(path)) logger.debug('request completed', entry);
      else logger.info('request completed', entry);
    };
    res.once('finish', done);
    res.once('close', done);
    next();
  };
}
