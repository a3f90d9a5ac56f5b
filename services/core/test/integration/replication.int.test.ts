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
});
