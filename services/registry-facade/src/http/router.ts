import type { NextFunction, Request, Response } from 'express';
import { ApiError } from '@wharf/errors';
import { requestIdOf } from '@wharf/http-kit';
import { isValidRepositoryName, registryPaths } from '@wharf/oci';
import { AuthChallengeError } from '../auth/auth.errors.js';
import type { Authenticator, Principal, Requirement } from '../auth/authenticator.js';
import type { RequestOrigin } from '../events/registry-event.js';
import { NameInvalidError } from '../repositories/repository.errors.js';

export type Method = 'GET' | 'HEAD' | 'PUT' | 'POST' | 'PATCH' | 'DELETE';

export interface RouteContext {
  req: Request;
  res: Response;
  /** The repository name, checked against the spec's grammar ('' on `/v2/` and the catalog). */
  name: string;
  params: Readonly<Record<string, string>>;
  query: URLSearchParams;
  principal: Principal;
  origin: RequestOrigin;
}

export interface Route {
  /** Label for metrics and logs. */
  id: string;
  method: Method;
  pattern: RegExp;
  requirement: (name: string, query: URLSearchParams) => Requirement;
  handle: (context: RouteContext) => Promise<void>;
}

export function route(
  method: Method,
  id: string,
  pattern: RegExp,
  requirement: Route['requirement'],
  handle: Route['handle'],
): Route {
  return { id, method, pattern, requirement, handle };
}

/** The `/v2` paths, in the order they are tried (uploads before blobs). */
export const paths = registryPaths;

export interface V2RouterDeps {
  routes: readonly Route[];
  authenticator: Authenticator;
}

/**
 * Dispatches `/v2` requests through the route table: match the path (405 with `Allow` when
 * only the method is wrong), check the repository name, authorise the route's requirement,
 * then run the handler. Every answer carries `Docker-Distribution-API-Version`.
 */
export function v2Router(deps: V2RouterDeps) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const path = req.path;
    if (path !== '/v2' && !path.startsWith('/v2/')) {
      next();
      return;
    }
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    const allowed = new Set<string>();
    for (const candidate of deps.routes) {
      const match = candidate.pattern.exec(path);
      if (!match) continue;
      if (candidate.method !== req.method) {
        allowed.add(candidate.method);
        continue;
      }
      res.locals.routeId = candidate.id;
      const params = { ...match.groups } as Record<string, string>;
      const name = params.name ?? '';
      if (name && !isValidRepositoryName(name)) throw new NameInvalidError(name);
      const query = parseQuery(req.originalUrl);
      let principal: Principal;
      try {
        principal = await deps.authenticator.authenticate(req.headers.authorization, candidate.requirement(name, query));
      } catch (error) {
        if (error instanceof AuthChallengeError) res.set('WWW-Authenticate', error.challenge);
        throw error;
      }
      await candidate.handle({ req, res, name, params, query, principal, origin: originOf(req, res, principal) });
      return;
    }
    if (allowed.size > 0) {
      res.set('Allow', [...allowed].join(', '));
      throw new ApiError('UNSUPPORTED', { message: `${req.method} is not supported on ${path}` });
    }
    next();
  };
}

function originOf(req: Request, res: Response, principal: Principal): RequestOrigin {
  return {
    requestId: requestIdOf(res),
    addr: req.ip ?? req.socket?.remoteAddress ?? '',
    host: req.host ?? '',
    method: req.method,
    userAgent: req.get('user-agent') ?? '',
    actor: principal.subject,
    baseUrl: `${req.protocol}://${req.host ?? 'localhost'}`,
  };
}

/** True when the request carries a body (a length above zero, or chunked encoding). */
export function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  return Number(req.headers['content-length'] ?? 0) > 0;
}

/**
 * The query parameters, percent-decoded as RFC 3986 says (a `+` stays a `+`: media types
 * such as `application/vnd.oci.image.config.v1+json` and digest algorithms contain it).
 */
export function parseQuery(url: string): URLSearchParams {
  const params = new URLSearchParams();
  const start = url.indexOf('?');
  if (start < 0) return params;
  for (const pair of url.slice(start + 1).split('&')) {
    if (!pair) continue;
    const separator = pair.indexOf('=');
    const key = separator < 0 ? pair : pair.slice(0, separator);
    const value = separator < 0 ? '' : pair.slice(separator + 1);
    params.append(decode(key), decode(value));
  }
  return params;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
