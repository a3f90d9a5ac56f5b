import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Response } from 'express';
import { createProxyMiddleware, type RequestHandler } from 'http-proxy-middleware';
import { toEnvelope, ApiError } from '@wharf/errors';
import { requestIdOf } from '@wharf/http-kit';
import type { Logger } from '@wharf/logging';
import { FailoverAgent, isConnectionFailure, type Balancer, type UpstreamTarget } from './balancer.js';

export interface UpstreamProxyOptions {
  name: string;
  /** The upstream's replicas (one or more). */
  balancer: Balancer;
  /** `https://wharf.example.com`: what every Location header and token realm must say. */
  externalUrl: string;
  /** Internal addresses that must never reach a client (rewritten to the external URL). */
  internalUrls: readonly string[];
  scheme: 'http' | 'https';
  logger: Logger;
}

/** Proxies one request to the upstream (the express `next` is only called for an error before proxying). */
export type UpstreamHandler = (req: IncomingMessage, res: ServerResponse, next?: (error?: unknown) => void) => Promise<void>;

/** GET and HEAD carry no body and change nothing: one that failed before its answer began may be sent again. */
function resendable(req: IncomingMessage, res: ServerResponse, error: unknown): boolean {
  return (req.method === 'GET' || req.method === 'HEAD') && !res.headersSent && isConnectionFailure(error);
}

/**
 * A streaming reverse proxy to an upstream: no body size limit and no timeout on the
 * transfer (a multi-GiB layer takes as long as it takes), `X-Forwarded-For/Proto/Host`
 * set, the request id passed on, and any internal address in `Location` or
 * `WWW-Authenticate` rewritten to the external URL. With several replicas there is one
 * http-proxy-middleware per replica, each request going to the one the balancer picks (O(1),
 * nothing allocated). A new connection that a replica refuses is made to another one before
 * anything is sent (FailoverAgent), whatever the method; a GET or HEAD whose connection was
 * lost before its answer began is sent once more to another replica.
 */
export function upstreamProxy(options: UpstreamProxyOptions): UpstreamHandler {
  const rewrite = (value: string): string => options.internalUrls.reduce((text, internal) => text.split(internal).join(options.externalUrl), value);
  const { balancer } = options;
  const several = balancer.targets.length > 1;
  const resent = new WeakSet<IncomingMessage>();
  const handlers: RequestHandler[] = [];

  const proxyTo = (target: UpstreamTarget): RequestHandler =>
    createProxyMiddleware({
      target: target.url,
      // One replica keeps the proxy exactly as it was (Node's global agent); several fail over.
      ...(several ? { agent: new FailoverAgent(balancer, target) } : {}),
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
          const response = res as ServerResponse;
          if (several && typeof response.writeHead === 'function' && !resent.has(req) && resendable(req, response, error)) {
            const other = balancer.another([target]);
            if (other) {
              resent.add(req);
              options.logger.warn('upstream request sent again to another replica', { upstream: options.name, target: target.url, err: error, path: req.url });
              void handlers[other.index]!(req, response, () => undefined);
              return;
            }
          }
          options.logger.warn('upstream unreachable', { upstream: options.name, err: error, path: req.url });
          if (typeof response.writeHead !== 'function' || response.headersSent) {
            (response as { destroy?: () => void }).destroy?.();
            return;
          }
          response.writeHead(502, { 'Content-Type': 'application/json; charset=utf-8' });
          response.end(JSON.stringify(toEnvelope(new ApiError('UNAVAILABLE', { message: `${options.name} is unavailable, try again` }))));
        },
      },
    });

  for (const target of balancer.targets) handlers.push(proxyTo(target));
  if (!several) return handlers[0]!;
  return (req, res, next) => handlers[balancer.pick().index]!(req, res, next);
}
