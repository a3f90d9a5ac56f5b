import type { JobStatsV1 } from '@wharf/contracts';
import { createLogger } from '@wharf/logging';
import { Writable } from 'node:stream';
import request from 'supertest';
import { beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../app.js';
import { JobService } from '../jobs/job.service.js';
import type { JobPublisher, QueueMessage } from '../jobs/ports.js';
import { createJobTypes } from '../jobs/registry.js';
import { InMemoryJobRepository } from '../jobs/testing/in-memory-job.repository.js';

const SECRET = 'unit-secret-123';
const auth = `Harbor-Secret ${SECRET}`;

class FakePublisher implements JobPublisher {
  readonly published: { name: string; message: QueueMessage }[] = [];
  async publish(name: string, message: QueueMessage): Promise<void> {
    this.published.push({ name, message });
  }
  async deadLetterCounts(): Promise<Record<string, number>> {
    return { DEMO: 2 };
  }
}

function setup() {
  const jobs = new InMemoryJobRepository();
  const publisher = new FakePublisher();
  const logs = new Map<string, string>();
  let n = 0;
  const logger = createLogger({ service: 'test', level: 'error', stream: new Writable({ write: (_c, _e, cb) => cb() }) });
  const service = new JobService({
    jobs,
    publisher,
    pools: { list: async () => [{ worker_pool_id: 'p1', started_at: 1, heartbeat_at: 2, job_names: ['DEMO'], concurrency: 5, status: 'Healthy' }] },
    logs: { read: async (id) => logs.get(id) },
    types: createJobTypes({ adapterUrl: 'http://a', registryUrl: 'http://r', secret: SECRET }),
    clock: { now: () => 1_700_000_000_000 },
    logger,
    newId: () => `job${++n}`,
  });
  const app = createApp({ logger, secret: SECRET, readiness: [], jobs: service });
  return { app, jobs, publisher, logs };
}

const launch = (job: Record<string, unknown>) => ({ job: { parameters: {}, metadata: { kind: 'Generic' }, ...job } });

describe('jobservice API', () => {
  let ctx: ReturnType<typeof setup>;
  beforeEach(() => {
    ctx = setup();
  });

  it('refuses calls without the Harbor secret or with a wrong one (401), but serves /api/v1/stats openly', async () => {
    const missing = await request(ctx.app).get('/api/v1/jobs/x');
    expect(missing.status).toBe(401);
    expect(missing.body.errors[0].code).toBe('UNAUTHORIZED');
    expect((await request(ctx.app).get('/api/v1/jobs/x').set('Authorization', 'Harbor-Secret nope')).status).toBe(401);
    expect((await request(ctx.app).get('/api/v1/jobs/x').set('Authorization', `Basic ${SECRET}`)).status).toBe(401);
    const stats = await request(ctx.app).get('/api/v1/stats');
    expect(stats.status).toBe(200);
    expect(stats.body.worker_pools[0]).toMatchObject({ worker_pool_id: 'p1', job_names: ['DEMO'], concurrency: 5, status: 'Healthy' });
    expect(stats.body.dead_letters).toEqual({ DEMO: 2 });
  });

  it('launches a generic job: 202 with Harbor\'s stats, published to its queue', async () => {
    const res = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(launch({ name: 'DEMO', parameters: { sleep_ms: 1 }, status_hook: 'http://core/hook' }));
    expect(res.status).toBe(202);
    expect(res.body.job).toMatchObject({ id: 'job1', name: 'DEMO', kind: 'Generic', status: 'Pending', unique: false, revision: 1_700_000_000, web_hook_url: 'http://core/hook' });
    expect(ctx.publisher.published).toEqual([{ name: 'DEMO', message: { id: 'job1', revision: 1_700_000_000 } }]);
    const got = await request(ctx.app).get('/api/v1/jobs/job1').set('Authorization', auth);
    expect(got.body.job.id).toBe('job1');
  });

  it('answers 400 with the reason for an unknown name, bad parameters, a bad cron, a Scheduled job without delay', async () => {
    const cases = [
      [launch({ name: 'NOPE' }), /unknown job name/],
      [launch({ name: 'DEMO', parameters: { sleep_ms: 'long' } }), /sleep_ms/],
      [launch({ name: 'DEMO', metadata: { kind: 'Periodic', cron_spec: '* * * *' } }), /cron_spec/],
      [launch({ name: 'DEMO', metadata: { kind: 'Periodic', cron_spec: '0 0 * * *' } }), /6 fields/],
      [launch({ name: 'DEMO', metadata: { kind: 'Periodic' } }), /cron_spec/],
      [launch({ name: 'DEMO', metadata: { kind: 'Scheduled' } }), /schedule_delay/],
      [launch({ name: 'DEMO', metadata: { kind: 'Sometimes' } }), /kind/],
      [{ nothing: true }, /job/],
    ] as const;
    for (const [body, reason] of cases) {
      const res = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].code).toBe('BAD_REQUEST');
      expect(res.body.errors[0].message).toMatch(reason);
    }
  });

  it('refuses a duplicate unique job with 409 while the first is pending', async () => {
    const body = launch({ name: 'DEMO', parameters: { sleep_ms: 5, fail_times: 0 }, metadata: { kind: 'Generic', unique: true } });
    expect((await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(body)).status).toBe(202);
    const reordered = launch({ name: 'DEMO', parameters: { fail_times: 0, sleep_ms: 5 }, metadata: { kind: 'Generic', unique: true } });
    const dup = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(reordered);
    expect(dup.status).toBe(409);
    expect(dup.body.errors[0]).toMatchObject({ code: 'CONFLICT', detail: { job_id: 'job1' } });
    await ctx.jobs.setStatus('job1', 'Success');
    expect((await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(reordered)).status).toBe(202);
  });

  it('stops a pending job (204), answers 501 for another action and 404 for an unknown job', async () => {
    await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(launch({ name: 'DEMO' }));
    expect((await request(ctx.app).post('/api/v1/jobs/job1').set('Authorization', auth).send({ action: 'stop' })).status).toBe(204);
    expect(ctx.jobs.records.get('job1')!.stats.status).toBe('Stopped');
    const bad = await request(ctx.app).post('/api/v1/jobs/job1').set('Authorization', auth).send({ action: 'retry' });
    expect(bad.status).toBe(501);
    expect(bad.body.errors[0].code).toBe('UNSUPPORTED');
    const unknown = await request(ctx.app).post('/api/v1/jobs/nope').set('Authorization', auth).send({ action: 'stop' });
    expect(unknown.status).toBe(404);
    expect((await request(ctx.app).get('/api/v1/jobs/nope').set('Authorization', auth)).status).toBe(404);
  });

  it('serves a job\'s log as text and refuses ids with .. or /', async () => {
    ctx.logs.set('abc', 'line one\n');
    const res = await request(ctx.app).get('/api/v1/jobs/abc/log').set('Authorization', auth);
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.text).toBe('line one\n');
    expect((await request(ctx.app).get('/api/v1/jobs/a..b/log').set('Authorization', auth)).status).toBe(400);
    expect((await request(ctx.app).get('/api/v1/jobs/a%2Fb/log').set('Authorization', auth)).status).toBe(400);
    expect((await request(ctx.app).get('/api/v1/jobs/zzz/log').set('Authorization', auth)).status).toBe(404);
  });

  it('masks the secrets in a job\'s parameters when it is read, launched or listed', async () => {
    const srcResource = JSON.stringify({ type: 'image', registry: { url: 'https://hub', credential: { type: 'basic', access_key: 'bob', access_secret: 'hunter2' } } });
    const body = launch({ name: 'REPLICATION', parameters: { src_resource: srcResource, dst_resource: '{"type":"image"}', speed: 0 } });
    const launched = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(body);
    expect(launched.status).toBe(202);
    const got = await request(ctx.app).get('/api/v1/jobs/job1').set('Authorization', auth);
    for (const job of [launched.body.job, got.body.job] as { parameters: { src_resource: string } }[]) {
      expect(JSON.parse(job.parameters.src_resource)).toMatchObject({ registry: { credential: { access_key: 'bob', access_secret: '*****' } } });
    }
    expect(got.text).not.toContain('hunter2');
    // Stored as sent: the job itself still has its credential.
    expect(ctx.jobs.records.get('job1')!.stats.parameters!.src_resource).toBe(srcResource);

    const periodic = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(launch({ name: 'DEMO', metadata: { kind: 'Periodic', cron_spec: '0 0 * * * *' } }));
    const execution = { ...(got.body.job as JobStatsV1), id: 'job2@1', upstream_job_id: (periodic.body.job as JobStatsV1).id, parameters: { password: 'pw' } };
    await ctx.jobs.create(execution, {});
    const list = await request(ctx.app).get(`/api/v1/jobs/${periodic.body.job.id}/executions`).set('Authorization', auth);
    expect(list.body[0].parameters).toEqual({ password: '*****' });
  });

  it('lists a periodic job\'s executions with Total-Count', async () => {
    const res = await request(ctx.app).post('/api/v1/jobs').set('Authorization', auth).send(launch({ name: 'DEMO', metadata: { kind: 'Periodic', cron_spec: '*/2 * * * * *' } }));
    expect(res.status).toBe(202);
    expect(res.body.job).toMatchObject({ kind: 'Periodic', status: 'Scheduled', cron_spec: '*/2 * * * * *' });
    const list = await request(ctx.app).get('/api/v1/jobs/job1/executions?page_size=5').set('Authorization', auth);
    expect(list.status).toBe(200);
    expect(list.headers['total-count']).toBe('0');
    expect(list.body).toEqual([]);
  });
});
