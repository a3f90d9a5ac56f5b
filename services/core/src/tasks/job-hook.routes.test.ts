import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { errorMiddleware, notFound, requestId } from '@wharf/http-kit';
import { createLogger } from '@wharf/logging';
import { mapCoreError } from '../http/errors.js';
import { securityContext } from '../http/security.js';
import type { LoginService } from '../sessions/login.service.js';
import { jobHookRoutes } from './job-hook.routes.js';
import { TaskOfJobNotFoundError } from './task.errors.js';
import type { HookOutcome } from './task.service.js';
import type { JobHook } from './tasks.schemas.js';

const SECRET = 'a-secret-of-sixteen+';

/** The hook route behind core's own security and error middlewares, with a fake task service. */
function appWith(applyHook: (hook: JobHook) => Promise<HookOutcome>) {
  const received: JobHook[] = [];
  const app = express();
  app.use(requestId());
  // Harbor-Secret and anonymous callers never reach the login service.
  app.use(securityContext({ login: {} as LoginService, secret: new Secret(SECRET) }));
  app.use(jobHookRoutes({ tasks: { applyHook: async (hook) => (received.push(hook), applyHook(hook)) } }));
  app.use(notFound());
  app.use(errorMiddleware({ logger: createLogger({ service: 'core', level: 'error', format: 'json' }), mapError: (error) => mapCoreError(error) }));
  return { app, received };
}

const body = { job_id: 'j1', status: 'Running', metadata: { revision: 1700000000 } };

describe('POST /service/notifications/tasks/:taskId', () => {
  it('applies a hook from the suite (Harbor-Secret), JSON read without a Content-Type', async () => {
    const { app, received } = appWith(async () => ({ result: 'applied', taskId: 7, status: 'Running' }));
    const response = await request(app)
      .post('/service/notifications/tasks/7')
      .set('Authorization', `Harbor-Secret ${SECRET}`)
      .set('Content-Type', '')
      .send(JSON.stringify(body));
    expect(response.status).toBe(200);
    expect(response.body).toEqual({ result: 'applied', task_id: 7, status: 'Running' });
    expect(received[0]?.job_id).toBe('j1');
  });

  it('answers 401 in the envelope without the secret, with a wrong one, or with another scheme', async () => {
    const { app, received } = appWith(async () => ({ result: 'applied', taskId: 7, status: 'Running' }));
    for (const authorization of [undefined, 'Harbor-Secret wrong-secret-value', 'Bearer abc']) {
      const call = request(app).post('/service/notifications/tasks/7').send(body);
      const response = await (authorization ? call.set('Authorization', authorization) : call);
      expect(response.status).toBe(401);
      expect(response.body.errors[0].code).toBe('UNAUTHORIZED');
    }
    expect(received).toHaveLength(0);
  });

  it('answers 401 before reading the body of an unauthenticated caller', async () => {
    const { app } = appWith(async () => ({ result: 'applied', taskId: 7, status: 'Running' }));
    const response = await request(app).post('/service/notifications/tasks/7').set('Content-Type', 'application/json').send('{not json');
    expect(response.status).toBe(401);
  });

  it('answers 400 BAD_REQUEST for a body that is not a status hook', async () => {
    const { app } = appWith(async () => ({ result: 'applied', taskId: 7, status: 'Running' }));
    for (const bad of ['{not json', JSON.stringify({ job_id: 'j1', status: 'Done' }), JSON.stringify({ status: 'Running' })]) {
      const response = await request(app).post('/service/notifications/tasks/7').set('Authorization', `Harbor-Secret ${SECRET}`).set('Content-Type', 'application/json').send(bad);
      expect(response.status).toBe(400);
      expect(response.body.errors[0].code).toBe('BAD_REQUEST');
    }
  });

  it('answers 404 NOT_FOUND while no task has the job id, so that jobservice sends it again', async () => {
    const { app } = appWith(async (hook) => {
      throw new TaskOfJobNotFoundError(hook.job_id);
    });
    const response = await request(app).post('/service/notifications/tasks/7').set('Authorization', `Harbor-Secret ${SECRET}`).send(body);
    expect(response.status).toBe(404);
    expect(response.body.errors[0]).toMatchObject({ code: 'NOT_FOUND', message: 'no task for job j1' });
  });

  it('answers 200 with the reason for an ignored hook', async () => {
    const { app } = appWith(async () => ({ result: 'ignored', taskId: 7, status: 'Success', reason: 'the task is at Success of revision 1' }));
    const response = await request(app).post('/service/notifications/tasks/7').set('Authorization', `Harbor-Secret ${SECRET}`).send(body);
    expect(response.status).toBe(200);
    expect(response.body).toMatchObject({ result: 'ignored', status: 'Success', detail: 'the task is at Success of revision 1' });
  });
});
