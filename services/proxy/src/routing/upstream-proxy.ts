import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { toEnvelope, ApiError } from '@wharf/errors';
import { requestIdOf } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';

export interface UpstreamProxyOptions {
  name: string;
  target: string;
  /** `https://wharf.example.com`: what every Location header and token realm must say. */
  externalUrl: string;
  /** Internal addresses that must never reach a client (rewritten to the external URL). */
  internalUrls: readonly string[];
  scheme: 'http' | 'https';
  logger: Logger;
}

/**
 * A streaming reverse proxy to one upstream: no body size limit and no timeout on the
 * transfer (a multi-GiB layer takes as long as it takes), `X-Forwarded-For/Proto/Host`
 * set, the request id passed on, and any internal address in `Location` or
 * `WWW-Authenticate` rewritten to the external URL.
 */
export function upstreamProxy(options: UpstreamProxyOptions): RequestHandler {
  const rewrite = (value: string): string => options.internalUrls.reduce((text, internal) => text.split(internal).join(options.externalUrl), value);
  return createProxyMiddleware({
    target: options.target,
    changeOrigin: false,
    xfwd: true,
    proxyTimeout: 0,
    timeout: 0,
    on: {
      proxyReq: (proxyReq, req, res) => {
        proxyReq.setHeader('X-Request-Id', requestIdOf(res as unknown as Response));
        proxyReq.setHeader('X-Forwarded-Proto', options.scheme);
        if (req.headers.host) proxyReq.setHeader('X-Forwarded-Host', req.headers.host);
      },
      proxyRes: (proxyRes) => {
        const location = proxyRes.headers.location;
        if (location) proxyRes.headers.location = rewrite(location);
        const challenge = proxyRes.headers['www-authenticate'];
        if (typeof challenge === 'string') proxyRes.headers['www-authenticate'] = rewrite(challenge);
      },
      error: (error: Error, req: IncomingMessage, res: unknown) => {
        options.logger.warn('upstream unreachable', { upstream: options.name, err: error, path: req.url });
        const response = res as ServerResponse;
        if (typeof response.writeHead !== 'function' || response.headersSent) {
          (response as { destroy?: () => void }).destroy?.();
          return;
        }
        response.writeHead(502, { 'Content-Type': 'application/json; charset=utf-8' });
        response.end(JSON.stringify(toEnvelope(new ApiError('UNAVAILABLE', { message: `${options.name} is unavailable, try again` }))));
      },
    },
  });
}
