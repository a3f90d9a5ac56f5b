import express, { Router, type Response } from 'express';
import { InvalidScopeError, parseScopes, type Access } from '@wharf/auth-token';
import { ApiError } from '@wharf/errors';
import { bodyTextGuard, rejectNonUtf8Body } from '@wharf/http-kit';
import { principalOf } from '../http/security.js';
import type { LoginService } from '../sessions/login.service.js';
import { TokenRequestError } from './token.errors.js';
import type { IssuedTokens, TokenService } from './token.service.js';

function scopesOf(value: unknown): Access[] {
  const values = (Array.isArray(value) ? value : [value]).filter((v): v is string => typeof v === 'string');
  try {
    return parseScopes(values);
  } catch (error) {
    if (error instanceof InvalidScopeError) throw new TokenRequestError(error.message);
    throw error;
  }
}

function send(res: Response, issued: IssuedTokens, scopes: readonly Access[]): void {
  res.set('Cache-Control', 'no-store');
  res.json({
    token: issued.token,
    access_token: issued.token,
    expires_in: issued.expiresIn,
    issued_at: issued.issuedAt,
    ...(issued.refreshToken ? { refresh_token: issued.refreshToken } : {}),
    ...(scopes.length > 0 ? { scope: scopes.map((s) => `${s.type}:${s.name}:${s.actions.join(',')}`).join(' ') } : {}),
  });
}

/**
 * The Docker token service, as the real clients use it: `GET /service/token` (Basic
 * credentials or none; repeated `scope`, several scopes in one value; `offline_token=true`
 * adds a refresh token) and the OAuth2 form `POST /service/token` with
 * `grant_type=password|refresh_token`. `GET /service/keys` publishes the verification keys.
 */
export function tokenRoutes(deps: { tokens: TokenService; login: LoginService }): Router {
  const router = Router();
  const { tokens } = deps;
  // As Harbor: the service must be named, and be this one.
  const checkService = (service: unknown) => {
    if (service !== tokens.service) throw new TokenRequestError(`unable to handle service ${JSON.stringify(service ?? '')}; this is ${tokens.service}`);
  };

  router.get('/service/token', async (req, res) => {
    checkService(req.query.service);
    const scopes = scopesOf(req.query.scope);
    const principal = principalOf(res);
    if (principal.kind === 'anonymous' && scopes.length === 0) {
      res.set('WWW-Authenticate', 'Basic realm="harbor"');
      throw new ApiError('UNAUTHORIZED', { message: 'authentication required' });
    }
    send(res, await tokens.issue(principal, scopes, { offline: req.query.offline_token === 'true' }), scopes);
  });

  router.post('/service/token', express.urlencoded({ extended: false, limit: '64kb', verify: rejectNonUtf8Body }), bodyTextGuard(), async (req, res) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    checkService(body.service);
    const scopes = scopesOf(body.scope);
    switch (body.grant_type) {
      case 'password': {
        if (typeof body.username !== 'string' || typeof body.password !== 'string') throw new TokenRequestError('username and password are required');
        const principal = await deps.login.authenticate(body.username, body.password, req.ip);
        send(res, await tokens.issue(principal, scopes, { offline: body.access_type === 'offline' }), scopes);
        return;
      }
      case 'refresh_token': {
        if (typeof body.refresh_token !== 'string') throw new TokenRequestError('refresh_token is required');
        send(res, await tokens.refresh(body.refresh_token, scopes), scopes);
        return;
      }
      default:
        throw new TokenRequestError('grant_type must be password or refresh_token');
    }
  });

  router.get('/service/keys', async (_req, res) => {
    res.json(await tokens.jwks());
  });

  return router;
}
