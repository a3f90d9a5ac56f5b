import { timingSafeEqual } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { parseCookie as parseCookies } from 'cookie';
import type { Secret } from '@wharf/config';
import { ApiError } from '@wharf/errors';
import { anonymous, type Principal } from '../rbac/principal.js';
import type { LoginService } from '../sessions/login.service.js';
import { CsrfError } from '../sessions/session.errors.js';

export const SESSION_COOKIE = 'sid';
export const CSRF_HEADER = 'X-Harbor-CSRF-Token';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The caller of this request, as the security middleware determined it. */
export function principalOf(res: Response): Principal {
  return (res.locals.principal as Principal | undefined) ?? anonymous;
}

function sameSecret(given: string, expected: string): boolean {
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Harbor's security contexts, tried in order: the suite's shared secret
 * (`Authorization: Harbor-Secret`), Basic credentials of a user or a robot, the browser
 * session cookie; otherwise anonymous. Wrong credentials are refused at once (401, or 429
 * while the account is locked), never downgraded to anonymous. Unsafe `/api` calls made
 * with a session must carry the session's CSRF token in `X-Harbor-CSRF-Token`.
 */
export function securityContext(deps: { login: LoginService; secret: Secret }) {
  return async (req: Request, res: Response, next: NextFunction): Promise<void> => {
    const authorization = req.headers.authorization ?? '';
    if (/^Harbor-Secret\s/i.test(authorization)) {
      if (!sameSecret(authorization.replace(/^Harbor-Secret\s+/i, ''), deps.secret.reveal())) {
        throw new ApiError('UNAUTHORIZED', { message: 'invalid secret' });
      }
      res.locals.principal = { kind: 'internal' } satisfies Principal;
      next();
      return;
    }
    if (/^Basic\s/i.test(authorization)) {
      const decoded = Buffer.from(authorization.replace(/^Basic\s+/i, ''), 'base64').toString('utf8');
      const separator = decoded.indexOf(':');
      if (separator < 0) throw new ApiError('UNAUTHORIZED', { message: 'malformed Basic credentials' });
      res.locals.principal = await deps.login.authenticate(decoded.slice(0, separator), decoded.slice(separator + 1), req.ip);
      next();
      return;
    }
    const sessionId = req.headers.cookie ? parseCookies(req.headers.cookie)[SESSION_COOKIE] : undefined;
    if (sessionId) {
      const session = await deps.login.resume(sessionId);
      if (session) {
        if (!SAFE_METHODS.has(req.method) && req.path.toLowerCase().startsWith('/api/') && req.get(CSRF_HEADER) !== session.csrfToken) throw new CsrfError();
        res.set(CSRF_HEADER, session.csrfToken);
        res.locals.principal = session.principal;
        next();
        return;
      }
    }
    res.locals.principal = anonymous;
    next();
  };
}
