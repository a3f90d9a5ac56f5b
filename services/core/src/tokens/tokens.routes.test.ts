import { generateKeyPairSync } from 'node:crypto';
import express from 'express';
import { decodeJwt } from 'jose';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { signingKeyFromPem } from '@wharf/auth-token';
import { Secret } from '@wharf/config';
import { errorMiddleware, requestId } from '@wharf/http-kit';
import { createLogger } from '@wharf/logging';
import { mapCoreError } from '../http/errors.js';
import { securityContext } from '../http/security.js';
import type { ProjectService } from '../projects/project.service.js';
import type { RbacService } from '../rbac/rbac.service.js';
import type { RobotService } from '../robots/robot.service.js';
import type { LoginService } from '../sessions/login.service.js';
import type { UserService } from '../users/user.service.js';
import { TokenService } from './token.service.js';
import { tokenRoutes } from './tokens.routes.js';

const SECRET = 'the-suite-secret-for-tokens';

async function app() {
  const pem = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const noProjects = { find: async () => undefined } as unknown as ProjectService;
  const tokens = new TokenService({
    key: await signingKeyFromPem(pem),
    issuer: 'harbor-token-issuer',
    service: 'harbor-registry',
    ttlSeconds: 1800,
    refreshTtlSeconds: 3600,
    projects: noProjects,
    rbac: {} as RbacService,
    users: {} as UserService,
    robots: {} as RobotService,
  });
  const login = {} as LoginService;
  const server = express();
  server.use(requestId());
  server.use(securityContext({ login, secret: new Secret(SECRET) }));
  server.use(tokenRoutes({ tokens, login }));
  server.use(errorMiddleware({ logger: createLogger({ service: 'core', level: 'error', format: 'json' }), mapError: mapCoreError }));
  return server;
}

describe('registry tokens for the suite itself', () => {
  it('grants the Harbor-Secret caller pull, push and delete on any repository, as Harbor\'s secret security context', async () => {
    const response = await request(await app())
      .get('/service/token')
      .query({ service: 'harbor-registry', scope: ['repository:mirror/library/nginx:pull,push', 'repository:not-yet-created/app:pull'] })
      .set('Authorization', `Harbor-Secret ${SECRET}`);
    expect(response.status).toBe(200);
    const claims = decodeJwt(response.body.token as string) as { sub: string; access: unknown };
    expect(claims.sub).toBe('harbor-core');
    expect(claims.access).toEqual([
      { type: 'repository', name: 'mirror/library/nginx', actions: ['pull', 'push', 'delete'] },
      { type: 'repository', name: 'not-yet-created/app', actions: ['pull', 'push', 'delete'] },
    ]);
  });

  it('refuses a wrong secret', async () => {
    const response = await request(await app()).get('/service/token').query({ service: 'harbor-registry', scope: 'repository:a/b:pull' }).set('Authorization', 'Harbor-Secret nope');
    expect(response.status).toBe(401);
  });
});
