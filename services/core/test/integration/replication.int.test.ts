import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '@wharf/config';
import { createPool, type Pool } from '@wharf/db';
import { createLogger } from '@wharf/logging';
import { createTestDatabase, createTestRedisNamespace, type TestDatabase, type TestRedisNamespace } from '@wharf/testing';
import { configSchema } from '../../src/config.js';
import { createCore, type Core } from '../../src/main.js';
import type { PasswordHasher } from '../../src/users/password-hasher.js';
import { FakeAdapter } from '../fixtures/fake-adapter.js';
import { FakeJobservice } from '../fixtures/fake-jobservice.js';

const SECRET = 'the-suite-secret-for-replication';
const ADMIN_PASSWORD = 'Harbor12345';
const SCHEMA = 'core_replication';
const INTERNAL_URL = 'http://core.internal:8081';

/** A hasher that costs nothing (the login path is not what these tests are about). */
const plainHasher: PasswordHasher = {
  hash: async (password: string) => `plain:${password}`,
  verify: async (password: string, hash: string) => hash === `plain:${password}`,
};

/**
 * Replication in core on a real Postgres and Redis, the whole core app built by its
 * composition root, with small HTTP stand-ins for the adapter service and jobservice
 * (both built in parallel) speaking their wire formats.
 */
describe('replication', () => {
  let db: TestDatabase;
  let redis: TestRedisNamespace;
  let keyDir: string;
  let adapter: FakeAdapter;
  let jobs: FakeJobservice;
  let core: Core;
  let pool: Pool;
  let coreConfig: Parameters<typeof createCore>[0];

  const admin = () => ({ Authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString('base64')}` });
  const api = {
    get: (path: string) => request(core.app).get(`/api/v2.0${path}`).set(admin()),
    post: (path: string, body?: unknown) => request(core.app).post(`/api/v2.0${path}`).set(admin()).send(body as object),
    put: (path: string, body?: unknown) => request(core.app).put(`/api/v2.0${path}`).set(admin()).send(body as object),
    delete: (path: string) => request(core.app).delete(`/api/v2.0${path}`).set(admin()),
  };
  const idOf = (location: string) => Number(location.split('/').pop());

  beforeAll(async () => {
    db = await createTestDatabase(SCHEMA);
    redis = await createTestRedisNamespace('core-replication');
    keyDir = mkdtempSync(join(tmpdir(), 'core-replication-'));
    adapter = new FakeAdapter(SECRET);
    await adapter.start();
    jobs = new FakeJobservice(SECRET);
    await jobs.start();
    const config = loadConfig(configSchema, {
      LOG_LEVEL: 'error',
      DATABASE_URL: db.url,
      CORE_DATABASE_SCHEMA: SCHEMA,
      REDIS_URL: redis.url,
      CORE_REDIS_PREFIX: redis.prefix,
      WHARF_ADMIN_PASSWORD: ADMIN_PASSWORD,
      CORE_SECRET: SECRET,
      CORE_ENCRYPTION_KEY: 'the-encryption-key-of-the-replication-tests',
      CORE_TOKEN_PRIVATE_KEY_FILE: join(keyDir, 'token.pem'),
      CORE_TOKEN_KEY_GENERATE: 'true',
      CORE_INTERNAL_URL: INTERNAL_URL,
      CORE_ADAPTER_URL: adapter.url,
      CORE_ADAPTER_TIMEOUT: '5s',
      CORE_JOBSERVICE_URL: jobs.url,
      CORE_REGISTRY_URL: 'http://127.0.0.1:9',
    });
    coreConfig = config;
    core = await createCore(config, { logger: createLogger({ service: 'core', level: 'error', format: 'json' }), hasher: plainHasher });
    pool = createPool({ url: db.url, schema: SCHEMA, max: 4 });
  });

  afterAll(async () => {
    await core?.close();
    await pool?.end();
    await adapter?.close();
    await jobs?.close();
    await db?.drop();
    await redis?.cleanup();
    if (keyDir) rmSync(keyDir, { recursive: true, force: true });
  });

  describe('registries', () => {
    it('creates a registry (201 + Location), masks its credential and stores it only encrypted', async () => {
      const created = await api.post('/registries', {
        name: 'hub-mirror',
        type: 'docker-registry',
        url: 'registry.example.com/',
        insecure: false,
        credential: { type: 'basic', access_key: 'robot-user', access_secret: 's3cr3t-Passw0rd' },
      });
      expect(created.status).toBe(201);
      expect(created.headers.location).toMatch(/^\/api\/v2\.0\/registries\/\d+$/);
      const id = idOf(created.headers.location as string);

      const shown = await api.get(`/registries/${id}`);
      expect(shown.status).toBe(200);
      expect(shown.body).toMatchObject({
        id,
        name: 'hub-mirror',
        type: 'docker-registry',
        url: 'https://registry.example.com',
        insecure: false,
        credential: { type: 'basic', access_key: '*****', access_secret: '*****' },
      });
      const listed = await api.get('/registries?q=name%3D~hub');
      expect(listed.headers['x-total-count']).toBe('1');
      expect(JSON.stringify(listed.body)).not.toContain('s3cr3t-Passw0rd');
      expect(JSON.stringify(listed.body)).not.toContain('robot-user');

      const raw = await pool.query<Record<string, unknown>>('SELECT * FROM registry WHERE id = $1', [id]);
      const row = JSON.stringify(raw.rows[0]);
      expect(row).not.toContain('s3cr3t-Passw0rd');
      expect(row).not.toContain('robot-user');
      expect(raw.rows[0]?.credential_enc).toMatch(/^v1\./);
    });

    it('refuses a duplicate name (409), an unknown type and an oauth credential (400)', async () => {
      await api.post('/registries', { name: 'dup', type: 'harbor', url: 'https://a.example.com' }).expect(201);
      const duplicate = await api.post('/registries', { name: 'dup', type: 'harbor', url: 'https://b.example.com' });
      expect(duplicate.status).toBe(409);
      expect(duplicate.body.errors[0].code).toBe('CONFLICT');
      const unknownType = await api.post('/registries', { name: 'x', type: 'nope', url: 'https://x.example.com' });
      expect(unknownType.status).toBe(400);
      expect(unknownType.body.errors[0].code).toBe('BAD_REQUEST');
      const oauth = await api.post('/registries', { name: 'y', type: 'harbor', url: 'https://y.example.com', credential: { type: 'oauth', access_key: 'a', access_secret: 'b' } });
      expect(oauth.status).toBe(400);
    });

    it('updates a registry, keeping the secret when the masked value comes back', async () => {
      const id = idOf((await api.post('/registries', { name: 'upd', type: 'harbor', url: 'https://u.example.com', credential: { type: 'basic', access_key: 'u', access_secret: 'p1' } })).headers.location as string);
      await api.put(`/registries/${id}`, { description: 'changed', access_secret: '*****', url: 'https://u2.example.com' }).expect(200);
      const shown = await api.get(`/registries/${id}`);
      expect(shown.body).toMatchObject({ description: 'changed', url: 'https://u2.example.com' });
      await api.post('/registries/ping', { id }).expect(200);
      const ping = adapter.callsTo('/api/v1/registries/health').at(-1)?.body as { registry: { url: string; credential: unknown } };
      expect(ping.registry).toMatchObject({ url: 'https://u2.example.com', credential: { type: 'basic', access_key: 'u', access_secret: 'p1' } });
      expect(adapter.callsTo('/api/v1/registries/health').at(-1)?.authorization).toBe(`Harbor-Secret ${SECRET}`);
    });

    it('pings by body: 200 when healthy, 400 when not', async () => {
      await api.post('/registries/ping', { type: 'harbor', url: 'https://ok.example.com' }).expect(200);
      const down = await api.post('/registries/ping', { type: 'harbor', url: 'https://down.example.com' });
      expect(down.status).toBe(400);
      expect(down.body.errors[0].message).toContain('unhealthy');
    });

    it('answers the registry info, the adapter types and their patterns from the adapter service', async () => {
      const id = idOf((await api.post('/registries', { name: 'info', type: 'harbor', url: 'https://i.example.com' })).headers.location as string);
      const info = await api.get(`/registries/${id}/info`);
      expect(info.body).toMatchObject({ type: 'harbor', supported_triggers: ['manual', 'scheduled', 'event_based'], supported_copy_by_chunk: true });
      expect((await api.get('/replication/adapters')).body).toEqual(['docker-registry', 'harbor']);
      expect(Object.keys((await api.get('/replication/adapterinfos')).body as object).sort()).toEqual(['docker-registry', 'harbor']);
    });

    it('is for system admins only', async () => {
      const anonymous = await request(core.app).get('/api/v2.0/registries');
      expect(anonymous.status).toBe(401);
      await request(core.app).post('/api/v2.0/users').set(admin()).send({ username: 'dev', email: 'dev@example.com', realname: 'Dev', password: 'Passw0rd!' }).expect(201);
      const user = await request(core.app).get('/api/v2.0/registries').set('Authorization', `Basic ${Buffer.from('dev:Passw0rd!').toString('base64')}`);
      expect(user.status).toBe(403);
    });
  });
  describe('policies', () => {
    let destId: number;
    beforeAll(async () => {
      destId = idOf((await api.post('/registries', { name: 'policy-dest', type: 'docker-registry', url: 'https://policy-dest.example.com', credential: { type: 'basic', access_key: 'k', access_secret: 'v' } })).headers.location as string);
    });

    it('creates, shows, lists, updates and deletes a policy', async () => {
      const created = await api.post('/replication/policies', {
        name: 'push-lib',
        dest_registry: { id: destId },
        dest_namespace: 'mirror',
        dest_namespace_replace_count: 1,
        filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: '1.*', decoration: 'matches' }, { type: 'label', value: ['prod'] }],
        trigger: { type: 'manual' },
        override: true,
        enabled: true,
        speed: -1,
      });
      expect(created.status).toBe(201);
      expect(created.headers.location).toMatch(/^\/api\/v2\.0\/replication\/policies\/\d+$/);
      const id = idOf(created.headers.location as string);
      const shown = (await api.get(`/replication/policies/${id}`)).body;
      expect(shown).toMatchObject({
        id,
        name: 'push-lib',
        src_registry: { id: 0, name: 'Local', type: 'harbor', credential: { type: 'secret', access_secret: '*****' } },
        dest_registry: { id: destId, name: 'policy-dest', credential: { access_key: '*****', access_secret: '*****' } },
        dest_namespace: 'mirror',
        dest_namespace_replace_count: 1,
        trigger: { type: 'manual', trigger_settings: { cron: '' } },
        filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: '1.*', decoration: 'matches' }, { type: 'label', value: ['prod'] }],
        replicate_deletion: false,
        override: true,
        enabled: true,
        speed: -1,
        copy_by_chunk: false,
        single_active_replication: false,
      });
      expect(JSON.stringify(shown)).not.toContain(SECRET);
      const listed = await api.get('/replication/policies?name=push');
      expect(listed.headers['x-total-count']).toBe('1');
      await api.put(`/replication/policies/${id}`, { ...shown, description: 'changed', src_registry: null }).expect(200);
      expect((await api.get(`/replication/policies/${id}`)).body.description).toBe('changed');
      const inUse = await api.delete(`/registries/${destId}`);
      expect(inUse.status).toBe(412);
      expect(inUse.body.errors[0].code).toBe('PRECONDITION');
      await api.delete(`/replication/policies/${id}`).expect(200);
      await api.get(`/replication/policies/${id}`).expect(404);
    });

    it("answers Harbor's 400 envelope for broken rules and 409 for a taken name", async () => {
      const cases: [unknown, RegExp][] = [
        [{ name: 'bad1' }, /either src_registry or dest_registry/],
        [{ name: 'bad2', src_registry: { id: destId }, dest_registry: { id: destId } }, /cannot both be remote/],
        [{ name: 'bad3', dest_registry: { id: destId }, filters: [{ type: 'name', value: 'a', decoration: 'excludes' }] }, /only tag and label filter support decoration/],
        [{ name: 'bad4', dest_registry: { id: destId }, filters: [{ type: 'label', value: 'prod' }] }, /array of strings/],
        [{ name: 'bad5', dest_registry: { id: destId }, filters: [{ type: 'resource', value: 'chart' }] }, /resource filter/],
        [{ name: 'bad6', dest_registry: { id: destId }, trigger: { type: 'scheduled', trigger_settings: { cron: '* * * * * *' } } }, /1st field/],
        [{ name: 'bad7', dest_registry: { id: destId }, trigger: { type: 'scheduled', trigger_settings: { cron: '0 * * * * *' } } }, /2nd field/],
        [{ name: 'bad8', dest_registry: { id: destId }, speed: -5 }, /speed/],
        [{ name: 'bad9', dest_registry: { id: 99999 } }, /registry 99999 not found/],
        [{ dest_registry: { id: destId } }, /name/],
      ];
      for (const [body, message] of cases) {
        const response = await api.post('/replication/policies', body);
        expect(response.status, JSON.stringify(body)).toBe(400);
        expect(response.body.errors[0].code).toBe('BAD_REQUEST');
        expect(response.body.errors[0].message).toMatch(message);
      }
      await api.post('/replication/policies', { name: 'taken', dest_registry: { id: destId } }).expect(201);
      const taken = await api.post('/replication/policies', { name: 'taken', dest_registry: { id: destId } });
      expect(taken.status).toBe(409);
      expect(taken.body.errors[0].code).toBe('CONFLICT');
    });
  });

  describe('executions', () => {
    const DEST_URL = 'https://dest.example.com';
    let destId: number;
    let policyId: number;

    const hook = (taskId: number, jobId: string, status: string, extra: Record<string, unknown> = {}) =>
      request(core.app)
        .post(`/service/notifications/tasks/${taskId}`)
        .set('Authorization', `Harbor-Secret ${SECRET}`)
        .send({ job_id: jobId, status, metadata: { id: jobId, name: 'REPLICATION', kind: 'Generic', revision: 1_700_000_000 }, ...extra });
    const submitted = (name: string) => jobs.calls.filter((c) => c.path === '/api/v1/jobs' && (c.body as { job: { name: string } }).job.name === name).map((c) => (c.body as { job: { parameters: Record<string, unknown>; metadata: Record<string, unknown> } }).job);
    const startRun = async (id: number) => {
      const started = await api.post('/replication/executions', { policy_id: id });
      expect(started.status).toBe(201);
      await core.replicationIdle();
      return idOf(started.headers.location as string);
    };
    const allTasks = async (executionId: number) => (await api.get(`/replication/executions/${executionId}/tasks?page_size=100`)).body as { id: number; job_id: string; src_resource: string; dst_resource: string; operation: string; status: string }[];

    beforeAll(async () => {
      destId = idOf((await api.post('/registries', { name: 'dest', type: 'docker-registry', url: DEST_URL, credential: { type: 'basic', access_key: 'pusher', access_secret: 'push-secret' } })).headers.location as string);
      adapter.put(INTERNAL_URL, 'library/nginx', [
        { digest: 'sha256:n1', tags: ['1.25', 'latest'], labels: ['prod'], size: 1000 },
        { digest: 'sha256:n2', tags: ['2.0'], labels: ['prod'], size: 2000 },
      ]);
      adapter.put(INTERNAL_URL, 'library/redis', [{ digest: 'sha256:r1', tags: ['1.0'], labels: ['prod'], size: 500 }]);
      adapter.put(INTERNAL_URL, 'library/nolabel', [{ digest: 'sha256:x1', tags: ['1.0'], labels: [] }]);
      adapter.put(INTERNAL_URL, 'other/app', [{ digest: 'sha256:o1', tags: ['1.0'], labels: ['prod'] }]);
      adapter.put(DEST_URL, 'mirror/nginx', [{ digest: 'sha256:n1', tags: ['1.25'] }]);
      policyId = idOf(
        (
          await api.post('/replication/policies', {
            name: 'push-run',
            dest_registry: { id: destId },
            dest_namespace: 'mirror',
            dest_namespace_replace_count: 1,
            filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: '1.*' }, { type: 'label', value: ['prod'] }],
            override: true,
            enabled: true,
            speed: 2048,
            copy_by_chunk: true,
          })
        ).headers.location as string,
      );
    });

    it('runs a policy end to end: plan, prepare, one REPLICATION job per repository, rolled up by the hooks', async () => {
      const before = submitted('REPLICATION').length;
      const executionId = await startRun(policyId);
      // Tasks are created several at once: in any order.
      const tasks = (await allTasks(executionId)).sort((a, b) => a.src_resource.localeCompare(b.src_resource));
      expect(tasks.map((t) => [t.operation, t.src_resource, t.dst_resource])).toEqual([
        ['copy', 'library/nginx:[1.25]', 'mirror/nginx:[1.25]'],
        ['copy', 'library/redis:[1.0]', 'mirror/redis:[1.0]'],
      ]);
      const jobsSent = submitted('REPLICATION').slice(before);
      expect(jobsSent).toHaveLength(2);
      const nginxJob = jobsSent.find((job) => (job.parameters.src_resource as string).includes('"library/nginx"'))!;
      const params = nginxJob.parameters;
      expect(params).toMatchObject({ speed: 2048, copy_by_chunk: true });
      expect(nginxJob.metadata).toEqual({ kind: 'Generic', unique: false });
      const src = JSON.parse(params.src_resource as string) as Record<string, unknown>;
      const dst = JSON.parse(params.dst_resource as string) as Record<string, unknown>;
      expect(src).toMatchObject({
        type: 'image',
        metadata: { repository: { name: 'library/nginx' }, artifacts: [{ digest: 'sha256:n1', tags: ['1.25'], labels: ['prod'] }] },
        registry: { type: 'harbor', url: INTERNAL_URL, credential: { type: 'secret', access_secret: SECRET }, insecure: true },
        override: true,
        deleted: false,
      });
      expect(dst).toMatchObject({ metadata: { repository: { name: 'mirror/nginx' } }, registry: { type: 'docker-registry', url: DEST_URL, credential: { type: 'basic', access_key: 'pusher', access_secret: 'push-secret' } }, override: true });
      const prepare = adapter.callsTo('/api/v1/registries/prepare').at(-1)?.body as { registry: { url: string }; resources: { metadata: { repository: { name: string } } }[] };
      expect(prepare.registry.url).toBe(DEST_URL);
      expect(prepare.resources.map((r) => r.metadata.repository.name)).toEqual(['mirror/nginx', 'mirror/redis']);

      let execution = (await api.get(`/replication/executions/${executionId}`)).body;
      expect(execution).toMatchObject({ id: executionId, policy_id: policyId, status: 'InProgress', trigger: 'manual', total: 2, in_progress: 2 });
      await hook(tasks[0]!.id, tasks[0]!.job_id, 'Running').expect(200);
      await hook(tasks[0]!.id, tasks[0]!.job_id, 'Running', { check_in: '{"bytes":400,"total":1000}' }).expect(200);
      const progressing = (await allTasks(executionId)).find((t) => t.id === tasks[0]!.id) as unknown as Record<string, unknown>;
      expect(progressing).toMatchObject({ status: 'InProgress', bytes_copied: 400, bytes_total: 1000 });
      for (const task of tasks) await hook(task.id, task.job_id, 'Success').expect(200);
      execution = (await api.get(`/replication/executions/${executionId}`)).body;
      expect(execution).toMatchObject({ status: 'Succeed', total: 2, succeed: 2, failed: 0, in_progress: 0 });
      expect(execution.end_time).toEqual(expect.any(String));

      const log = await api.get(`/replication/executions/${executionId}/tasks/${tasks[0]!.id}/log`);
      expect(log.status).toBe(200);
      expect(log.headers['content-type']).toMatch(/^text\/plain/);
      expect(log.text).toContain(tasks[0]!.job_id);
      const listed = await api.get(`/replication/executions?policy_id=${policyId}&status=Succeed&trigger=manual`);
      expect((listed.body as { id: number }[]).map((e) => e.id)).toContain(executionId);
      expect((await api.get(`/replication/executions/${executionId}/tasks?status=Succeed&resource_type=image`)).headers['x-total-count']).toBe('2');
      expect((await api.get(`/replication/executions/${executionId}/tasks?status=Failed`)).headers['x-total-count']).toBe('0');
    });

    it('dry-runs the same plan a run turns into tasks, with what the destination holds and the bytes to copy', async () => {
      const dry = await api.post(`/replication/policies/${policyId}/dry-run`);
      expect(dry.status).toBe(200);
      expect(dry.body).toEqual({
        policy_id: policyId,
        repositories: [
          { src: 'library/nginx', dst: 'mirror/nginx', artifacts: [{ digest: 'sha256:n1', tags: ['1.25'], size: 1000, present_at_destination: true }] },
          { src: 'library/redis', dst: 'mirror/redis', artifacts: [{ digest: 'sha256:r1', tags: ['1.0'], size: 500, present_at_destination: false }] },
        ],
        totals: { repositories: 2, artifacts: 2, tags: 2, bytes_to_copy: 500, bytes_present: 1000 },
      });
      const before = submitted('REPLICATION').length;
      await startRun(policyId);
      const planned = (dry.body as { repositories: { src: string; dst: string; artifacts: { digest: string; tags: string[] }[] }[] }).repositories.map((r) => ({ src: r.src, dst: r.dst, artifacts: r.artifacts.map((a) => ({ digest: a.digest, tags: a.tags })) }));
      const ran = submitted('REPLICATION').slice(before).map((job) => {
        const s = JSON.parse(job.parameters.src_resource as string) as { metadata: { repository: { name: string }; artifacts: { digest: string; tags: string[] }[] } };
        const d = JSON.parse(job.parameters.dst_resource as string) as { metadata: { repository: { name: string } } };
        return { src: s.metadata.repository.name, dst: d.metadata.repository.name, artifacts: s.metadata.artifacts.map((a) => ({ digest: a.digest, tags: a.tags })) };
      });
      // Tasks are submitted several at once: the same set, in any order.
      const bySource = (a: { src: string }, b: { src: string }) => a.src.localeCompare(b.src);
      expect(ran.sort(bySource)).toEqual(planned.sort(bySource));
    });

    it('ends a run with nothing to replicate as a success without tasks, and a failing fetch as Failed with the reason', async () => {
      const empty = idOf((await api.post('/replication/policies', { name: 'empty-run', dest_registry: { id: destId }, filters: [{ type: 'name', value: 'nothing/**' }], enabled: true })).headers.location as string);
      const quiet = await startRun(empty);
      expect((await api.get(`/replication/executions/${quiet}`)).body).toMatchObject({ status: 'Succeed', total: 0 });

      const brokenId = idOf((await api.post('/registries', { name: 'broken-src', type: 'docker-registry', url: 'https://broken.example.com' })).headers.location as string);
      adapter.failures.set('https://broken.example.com', { status: 502, code: 'UNKNOWN', message: 'the source registry answered 500' });
      const pull = idOf((await api.post('/replication/policies', { name: 'broken-pull', src_registry: { id: brokenId }, enabled: true })).headers.location as string);
      const failed = await startRun(pull);
      const view = (await api.get(`/replication/executions/${failed}`)).body;
      expect(view).toMatchObject({ status: 'Failed', total: 0 });
      expect(view.status_text).toContain('the source registry answered 500');
    });

    it('ends as Error an execution a stopped core left preparing, once it is old enough', async () => {
      const orphan = await pool.query<{ id: number }>(
        `INSERT INTO execution (vendor_type, vendor_id, trigger, start_time) VALUES ('REPLICATION', $1, 'MANUAL', now() - interval '2 hours') RETURNING id`,
        [policyId],
      );
      const fresh = await pool.query<{ id: number }>(`INSERT INTO execution (vendor_type, vendor_id, trigger) VALUES ('REPLICATION', $1, 'MANUAL') RETURNING id`, [policyId]);
      await new Promise((resolve) => setTimeout(resolve, 50));
      const probe = await createCore(coreConfig, { logger: createLogger({ service: 'core', level: 'error', format: 'json' }), hasher: plainHasher });
      try {
        await probe.replicationIdle();
        await new Promise((resolve) => setTimeout(resolve, 200));
        const ended = (await api.get(`/replication/executions/${orphan.rows[0]!.id}`)).body;
        expect(ended).toMatchObject({ status: 'Failed' });
        expect(ended.status_text).toContain('interrupted');
        expect((await api.get(`/replication/executions/${fresh.rows[0]!.id}`)).body.status).toBe('InProgress');
      } finally {
        await probe.close();
        await pool.query("UPDATE execution SET status = 'Stopped', end_time = now() WHERE id = $1", [fresh.rows[0]!.id]);
      }
    });

    it('refuses to start a disabled policy (412) and an unknown one (404)', async () => {
      const disabled = idOf((await api.post('/replication/policies', { name: 'disabled', dest_registry: { id: destId }, enabled: false })).headers.location as string);
      expect((await api.post('/replication/executions', { policy_id: disabled })).status).toBe(412);
      expect((await api.post('/replication/executions', { policy_id: 999999 })).status).toBe(404);
    });

    it('stops an execution still preparing: it ends Stopped and creates no task', async () => {
      const before = submitted('REPLICATION').length;
      adapter.resourceDelayMs = 300;
      try {
        const started = await api.post('/replication/executions', { policy_id: policyId });
        const executionId = idOf(started.headers.location as string);
        await api.put(`/replication/executions/${executionId}`).expect(200);
        await core.replicationIdle();
        expect((await api.get(`/replication/executions/${executionId}`)).body).toMatchObject({ status: 'Stopped', total: 0 });
        expect(submitted('REPLICATION').length).toBe(before);
      } finally {
        adapter.resourceDelayMs = 0;
      }
    });

    it('stops the jobs of a running execution', async () => {
      const executionId = await startRun(policyId);
      const tasks = await allTasks(executionId);
      await api.put(`/replication/executions/${executionId}`).expect(200);
      expect(jobs.stopCalls()).toEqual(expect.arrayContaining(tasks.map((t) => t.job_id)));
      for (const task of tasks) await hook(task.id, task.job_id, 'Stopped').expect(200);
      expect((await api.get(`/replication/executions/${executionId}`)).body).toMatchObject({ status: 'Stopped', stopped: 2 });
    });

    it('skips a run of a single_active_replication policy while one runs (201 with id 0, as Harbor)', async () => {
      const single = idOf((await api.post('/replication/policies', { name: 'single', dest_registry: { id: destId }, filters: [{ type: 'name', value: 'library/redis' }], enabled: true, single_active_replication: true })).headers.location as string);
      const first = await startRun(single);
      expect((await api.get(`/replication/executions/${first}`)).body.status).toBe('InProgress');
      const second = await api.post('/replication/executions', { policy_id: single });
      expect(second.status).toBe(201);
      expect(second.headers.location).toMatch(/\/executions\/0$/);
      expect((await api.get(`/replication/executions?policy_id=${single}`)).headers['x-total-count']).toBe('1');
      const running = await api.delete(`/replication/policies/${single}`);
      expect(running.status).toBe(412);
    });

    it('replicates a pushed and a deleted artifact for event-based policies whose filters match', async () => {
      const eventPolicy = idOf(
        (
          await api.post('/replication/policies', {
            name: 'on-push',
            dest_registry: { id: destId },
            filters: [{ type: 'name', value: 'events/**' }, { type: 'tag', value: 'v*' }],
            trigger: { type: 'event_based' },
            replicate_deletion: true,
            enabled: true,
          })
        ).headers.location as string,
      );
      const event = (id: string, action: string, repository: string, tag?: string) => ({
        id,
        action,
        timestamp: new Date().toISOString(),
        target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: 'sha256:e1', repository, ...(tag ? { tag } : {}) },
        actor: { name: 'admin' },
      });
      const notify = (events: unknown[]) => request(core.app).post('/service/notifications').set('Authorization', `Harbor-Secret ${SECRET}`).send({ events }).expect(200);
      await notify([event('ev-1', 'push', 'events/app', 'v1'), event('ev-2', 'push', 'elsewhere/app', 'v1'), event('ev-3', 'push', 'events/app', 'dev')]);
      await core.replicationIdle();
      let executions = (await api.get(`/replication/executions?policy_id=${eventPolicy}`)).body as { id: number; trigger: string }[];
      expect(executions).toHaveLength(1);
      expect(executions[0]!.trigger).toBe('event_based');
      const [copy] = await allTasks(executions[0]!.id);
      expect(copy).toMatchObject({ operation: 'copy', src_resource: 'events/app:[v1]', dst_resource: 'events/app:[v1]' });

      await notify([event('ev-4', 'delete', 'events/app', 'v1')]);
      await core.replicationIdle();
      executions = (await api.get(`/replication/executions?policy_id=${eventPolicy}`)).body as { id: number; trigger: string }[];
      expect(executions).toHaveLength(2);
      const [deletion] = await allTasks(executions[0]!.id);
      expect(deletion?.operation).toBe('deletion');
      const job = jobs.calls.filter((c) => c.path === '/api/v1/jobs').at(-1)?.body as { job: { parameters: { dst_resource: string } } };
      expect(JSON.parse(job.job.parameters.dst_resource)).toMatchObject({ deleted: true, is_delete_tag: true, metadata: { repository: { name: 'events/app' }, artifacts: [{ digest: 'sha256:e1', tags: ['v1'] }] } });
    });

    it('registers a periodic SCHEDULER job, starts one run per fire however often the fire is reported, and stops it when disabled', async () => {
      const body = { name: 'nightly', dest_registry: { id: destId }, filters: [{ type: 'name', value: 'library/redis' }], trigger: { type: 'scheduled', trigger_settings: { cron: '0 0 2 * * *' } }, enabled: true };
      const scheduled = idOf((await api.post('/replication/policies', body)).headers.location as string);
      const registration = jobs.calls.filter((c) => c.path === '/api/v1/jobs').at(-1)?.body as { job: { name: string; parameters: unknown; metadata: unknown; status_hook: string } };
      expect(registration.job).toMatchObject({ name: 'SCHEDULER', parameters: { vendor_type: 'REPLICATION', vendor_id: scheduled }, metadata: { kind: 'Periodic', cron_spec: '0 0 2 * * *' } });
      const periodicId = [...jobs.jobs.values()].find((j) => j.name === 'SCHEDULER' && (j.parameters as { vendor_id?: number }).vendor_id === scheduled)!.id;
      const schedulerTaskId = Number(registration.job.status_hook.split('/').pop());
      const fire = (at: number, extra: Record<string, unknown> = {}) =>
        request(core.app)
          .post(`/service/notifications/tasks/${schedulerTaskId}`)
          .set('Authorization', `Harbor-Secret ${SECRET}`)
          .send({ job_id: `${periodicId}@${at}`, status: 'Running', metadata: { id: `${periodicId}@${at}`, name: 'SCHEDULER', kind: 'Periodic', upstream_job_id: periodicId, revision: at }, ...extra })
          .expect(200);

      await Promise.all([fire(1_800_000_000), fire(1_800_000_000), fire(1_800_000_000, { check_in: 'checkin' })]);
      await core.replicationIdle();
      let executions = (await api.get(`/replication/executions?policy_id=${scheduled}`)).body as { trigger: string }[];
      expect(executions).toHaveLength(1);
      expect(executions[0]!.trigger).toBe('scheduled');
      await fire(1_800_086_400, { check_in: 'checkin' });
      await fire(1_800_086_400);
      await core.replicationIdle();
      executions = (await api.get(`/replication/executions?policy_id=${scheduled}`)).body as { trigger: string }[];
      expect(executions).toHaveLength(2);

      await api.put(`/replication/policies/${scheduled}`, { ...body, enabled: false }).expect(200);
      expect(jobs.stopCalls()).toContain(periodicId);
      await fire(1_800_172_800);
      await core.replicationIdle();
      expect((await api.get(`/replication/executions?policy_id=${scheduled}`)).headers['x-total-count']).toBe('2');
    });
  });
});
