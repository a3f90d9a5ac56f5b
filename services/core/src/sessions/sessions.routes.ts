import express, { Router } from 'express';
import { parseCookie as parseCookies } from 'cookie';
import { ApiError } from '@wharf/errors';
import { CSRF_HEADER, SESSION_COOKIE } from '../http/security.js';
import type { LoginService } from './login.service.js';

/** Browser login (`POST /c/login`, form `principal` and `password`) and logout (`GET /c/log_out`). */
export function sessionRoutes(deps: { login: LoginService; secureCookies: boolean; sessionTtlMs: number }): Router {
  const router = Router();
  router.use('/c', express.urlencoded({ extended: false, limit: '16kb' }));

  router.post('/c/login', async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const principal = typeof body.principal === 'string' ? body.principal : '';
    const password = typeof body.password === 'string' ? body.password : '';
    if (!principal || !password) throw new ApiError('BAD_REQUEST', { message: 'principal and password are required' });
    const { sessionId, session } = await deps.login.login(principal, password, req.ip);
    res.cookie(SESSION_COOKIE, sessionId, {
      httpOnly: true,
      sameSite: 'lax',
      secure: deps.secureCookies,
      path: '/',
      maxAge: deps.sessionTtlMs,
    });
    res.set(CSRF_HEADER, session.csrfToken);
    res.status(200).end();
  });

  router.get('/c/log_out', async (req, res) => {
    const sessionId = req.headers.cookie ? parseCookies(req.headers.cookie)[SESSION_COOKIE] : undefined;
    if (sessionId) await deps.login.logout(sessionId);
    res.clearCookie(SESSION_COOKIE, { path: '/' });
    res.status(200).end();
  });

  return router;
}
