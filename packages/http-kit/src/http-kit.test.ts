import { PassThrough } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ApiError } from '@wharf/errors';
import { createLogger } from '@wharf/logging';
import { errorMiddleware, notFound } from './error-middleware.js';
import { healthRoutes } from './health.js';
import { createMetrics } from './metrics.js';
import { requestId } from './request-id.js';
import { validate } from './validate.js';

class DomainThing extends Error {}

function app(build: (app: express.Express) => void) {
  const lines: Record<string, unknown>[] = [];
  const stream = new PassThrough();
  stream.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Record<string, unknown>)));
  const logger = createLogger({ service: 'test', stream });
  const server = express();
  server.use(requestId());
  build(server);
  server.use(notFound());
  server.use(errorMiddleware({ logger, mapError: (e) => (e instanceof DomainThing ? new ApiError('CONFLICT', { message: 'thing' }) : undefined) }));
  return { server, lines };
}

describe('error middleware', () => {
  it('answers an ApiError with its status and the envelope', async () => {
    const { server } = app((s) => s.get('/x', () => {
      throw new ApiError('NOT_FOUND', { message: 'project p not found' });
    }));
    const response = await request(server).get('/x');
    expect(response.status).toBe(404);
    expect(response.body).toEqual({ errors: [{ code: 'NOT_FOUND', message: 'project p not found' }] });
    expect(response.headers['x-request-id']).toBeTruthy();
  });

  it('maps domain errors through the service table', async () => {
    const { server } = app((s) => s.get('/x', async () => {
      throw new DomainThing();
    }));
    expect((await request(server).get('/x')).body.errors[0].code).toBe('CONFLICT');
  });

  it('hides unknown errors behind UNKNOWN and logs them with the stack and request id', async () => {
    const { server, lines } = app((s) => s.get('/x', () => {
      throw new Error('database password is hunter2');
    }));
    const response = await request(server).get('/x').set('X-Request-Id', 'req-42');
    expect(response.status).toBe(500);
    expect(response.body).toEqual({ errors: [{ code: 'UNKNOWN', message: 'internal server error' }] });
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.find((l) => l.message === 'unhandled error')).toMatchObject({ requestId: 'req-42', err: { message: 'database password is hunter2' } });
  });

  it('answers a lost database connection with UNAVAILABLE (503, Retry-After) and logs it as a warning, not a bug', async () => {
    const { server, lines } = app((s) => s.get('/x', async () => {
      throw Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' });
    }));
    const response = await request(server).get('/x');
    expect(response.status).toBe(503);
    expect(response.headers['retry-after']).toBe('1');
    expect(response.body.errors[0].code).toBe('UNAVAILABLE');
    await new Promise((resolve) => setImmediate(resolve));
    expect(lines.find((l) => l.message === 'dependency unavailable')).toMatchObject({ level: 'warn' });
    expect(lines.find((l) => l.message === 'unhandled error')).toBeUndefined();
  });

  it('sends no body on HEAD', async () => {
    const { server } = app(() => undefined);
    const response = await request(server).head('/missing');
    expect(response.status).toBe(404);
    expect(response.text ?? '').toBe('');
  });

  it('turns a zod failure into BAD_REQUEST with the issues', async () => {
    const { server } = app((s) => s.get('/x', (req) => {
      validate(z.object({ page: z.coerce.number().int().min(1) }), req.query);
    }));
    const response = await request(server).get('/x?page=0');
    expect(response.status).toBe(400);
    expect(response.body.errors[0].code).toBe('BAD_REQUEST');
    expect(response.body.errors[0].message).toContain('page');
  });

  it('answers unclaimed routes with NOT_FOUND in the envelope', async () => {
    const { server } = app(() => undefined);
    const response = await request(server).post('/nowhere');
    expect(response.status).toBe(404);
    expect(response.body.errors[0].code).toBe('NOT_FOUND');
  });
});

describe('health and metrics', () => {
  it('answers /readyz 503 naming the dependency that is down', async () => {
    const { server } = app((s) =>
      s.use(healthRoutes({ checks: [{ name: 'postgres', check: async () => undefined }, { name: 'redis', check: () => Promise.reject(new Error('ECONNREFUSED')) }] })),
    );
    expect((await request(server).get('/healthz')).status).toBe(200);
    const ready = await request(server).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks).toEqual({ postgres: { status: 'ok' }, redis: { status: 'down', error: 'ECONNREFUSED' } });
  });

  it('times out a hanging check', async () => {
    const { server } = app((s) => s.use(healthRoutes({ timeoutMs: 50, checks: [{ name: 'slow', check: () => new Promise(() => undefined) }] })));
    const ready = await request(server).get('/readyz');
    expect(ready.status).toBe(503);
    expect(ready.body.checks.slow.error).toContain('timed out');
  });

  it('counts requests in the Prometheus text format', async () => {
    const metrics = createMetrics({ service: 'test', routeLabel: () => 'x' });
    const { server } = app((s) => {
      s.use(metrics.middleware);
      s.use(metrics.routes);
      s.get('/x', (_req, res) => void res.json({}));
    });
    await request(server).get('/x');
    const text = (await request(server).get('/metrics')).text;
    expect(text).toMatch(/http_request_duration_seconds_count\{[^}]*route="x"[^}]*\} 1/);
  });
});
