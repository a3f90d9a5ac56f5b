import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { createTestImage, type TestImage, type TestRegistryClient } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuite, type Suite } from '../src/suite.js';

/** Distribution's envelope media type, as registry-facade sends it. */
const EVENTS_MEDIA_TYPE = 'application/vnd.docker.distribution.events.v1+json';

interface Artifact {
  digest: string;
  tags?: { name: string }[] | null;
  pull_time: string;
}

interface AuditLog {
  operation: string;
  resource: string;
  resource_type: string;
  username: string;
}

interface EventOptions {
  tag?: string;
  actor?: string;
  requestId?: string;
  timestamp?: Date;
}

/** A registry event for `image` in distribution's format, with a fresh id unless reused. */
function registryEvent(action: 'push' | 'pull' | 'delete', repository: string, image: TestImage, options: EventOptions = {}) {
  const target: Record<string, unknown> = {
    mediaType: image.manifest.mediaType,
    size: image.manifest.size,
    digest: image.manifest.digest,
    repository,
    url: `http://127.0.0.1/v2/${repository}/manifests/${image.manifest.digest}`,
  };
  if (options.tag) target.tag = options.tag;
  return {
    id: randomUUID(),
    timestamp: (options.timestamp ?? new Date()).toISOString(),
    action,
    target,
    request: { id: options.requestId ?? randomUUID(), addr: '127.0.0.1:1', host: '127.0.0.1', method: action === 'delete' ? 'DELETE' : action === 'pull' ? 'GET' : 'PUT', useragent: 'e2e' },
    actor: { name: options.actor ?? 'admin' },
    source: { addr: '127.0.0.1:5000', instanceID: 'e2e' },
  };
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 150));
  }
}

describe('registry events at core /service/notifications', () => {
  let suite: Suite;
  let sql: pg.Pool;
  let secret: string;
  let registry: TestRegistryClient;

  /** POSTs an envelope of events to core as registry-facade does, or with other credentials (null: none). */
  async function notify(events: readonly unknown[], authorization: string | null = `Harbor-Secret ${secret}`) {
    const headers: Record<string, string> = { 'Content-Type': EVENTS_MEDIA_TYPE };
    if (authorization !== null) headers.Authorization = authorization;
    const response = await fetch(`${suite.coreUrl}/service/notifications`, { method: 'POST', headers, body: JSON.stringify({ events }) });
    const text = await response.text();
    return { status: response.status, text, body: (text.startsWith('{') ? JSON.parse(text) : undefined) as { applied: number; ignored: number } | undefined };
  }

  async function count(query: string, values: unknown[]): Promise<number> {
    const result = await sql.query<{ n: string }>(`SELECT count(*)::text AS n FROM (${query}) AS q`, values);
    return Number(result.rows[0]!.n);
  }

  /** Waits until registry-facade has delivered every event it queued (so none of them races the test). */
  async function eventsDelivered(): Promise<void> {
    const left = await eventually(() => count('SELECT 1 FROM registry.event_outbox', []), (n) => n === 0);
    expect(left).toBe(0);
  }

  async function pushImage(repository: string, tag: string): Promise<TestImage> {
    const image = createTestImage({ layers: 1 });
    await registry.pushImage(repository, image, tag);
    return image;
  }

  const artifactRows = (repository: string, digest: string) => count('SELECT 1 FROM core.artifact WHERE repository_name = $1 AND digest = $2', [repository, digest]);
  const auditRows = (username: string) => count('SELECT 1 FROM core.audit_log WHERE username = $1', [username]);
  const appliedRows = (id: string) => count('SELECT 1 FROM core.registry_event WHERE id = $1', [id]);

  beforeAll(async () => {
    suite = await startSuite('core-events');
    sql = new pg.Pool({ connectionString: suite.db.url, max: 3 });
    secret = (await readFile(join(suite.dir, 'data', 'secrets', 'suite-secret'), 'utf8')).trim();
    await suite.admin.createProject('evt');
    await suite.admin.createProject('vuln');
    registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, [
      'repository:evt/replay:pull,push,delete',
      'repository:evt/late:pull,push,delete',
      'repository:evt/again:pull,push,delete',
      'repository:evt/moved:pull,push,delete',
      'repository:evt/pulls:pull,push',
      'repository:evt/guarded:pull,push',
      'repository:vuln/app:pull,push',
    ]);
  });
  afterAll(async () => {
    await sql?.end();
    await suite?.stop();
  });

  describe('the same event delivered twice', () => {
    it('applies a push event once: one artifact, one tag, one audit entry, the second delivery ignored', async () => {
      const image = await pushImage('evt/replay', 'v1');
      await eventsDelivered();
      // The projection lost the artifact (as if core had missed the push): only the event can bring it back.
      await sql.query('DELETE FROM core.artifact WHERE repository_name = $1 AND digest = $2', ['evt/replay', image.manifest.digest]);
      expect((await suite.admin.get('/projects/evt/repositories/replay/artifacts/v1')).status).toBe(404);

      const event = registryEvent('push', 'evt/replay', image, { tag: 'v1', actor: 'replayer-one' });
      const first = await notify([event]);
      const second = await notify([event]);
      expect(first).toMatchObject({ status: 200, body: { applied: 1, ignored: 0 } });
      expect(second).toMatchObject({ status: 200, body: { applied: 0, ignored: 1 } });

      const artifacts = await suite.admin.get<Artifact[]>('/projects/evt/repositories/replay/artifacts?with_tag=true');
      expect(artifacts.status).toBe(200);
      expect(artifacts.body.map((a) => a.digest)).toEqual([image.manifest.digest]);
      expect(artifacts.body[0]!.tags?.map((t) => t.name)).toEqual(['v1']);
      expect(await artifactRows('evt/replay', image.manifest.digest)).toBe(1);
      expect(await count("SELECT 1 FROM core.tag t JOIN core.repository r USING (repository_id) WHERE r.name = 'evt/replay' AND t.name = 'v1'", [])).toBe(1);
      expect(await appliedRows(event.id)).toBe(1);

      const audit = await suite.admin.get<AuditLog[]>(`/audit-logs?page_size=100&q=${encodeURIComponent('username=replayer-one')}`);
      expect(audit.status).toBe(200);
      expect(audit.body).toEqual([expect.objectContaining({ operation: 'create', resource_type: 'artifact', resource: 'evt/replay:v1', username: 'replayer-one' })]);
      expect(await auditRows('replayer-one')).toBe(1);
    });

    it('applies a push event once when two deliveries of it race, and once when an envelope repeats it', async () => {
      const image = await pushImage('evt/replay', 'v2');
      await eventsDelivered();
      const raced = registryEvent('push', 'evt/replay', image, { tag: 'v2', actor: 'replayer-race' });
      const answers = await Promise.all([notify([raced]), notify([raced]), notify([raced])]);
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);
      expect(await appliedRows(raced.id)).toBe(1);
      expect(await auditRows('replayer-race')).toBe(1);

      const repeated = registryEvent('push', 'evt/replay', image, { tag: 'v2', actor: 'replayer-envelope' });
      expect(await notify([repeated, repeated])).toMatchObject({ status: 200, body: { applied: 1, ignored: 1 } });
      expect(await auditRows('replayer-envelope')).toBe(1);
      expect(await artifactRows('evt/replay', image.manifest.digest)).toBe(1);
    });
  });

  describe('events out of order', () => {
    it('does not bring back a deleted manifest when its push event arrives after the delete', async () => {
      const pushedAt = new Date();
      const image = await pushImage('evt/late', 'v1');
      expect((await suite.admin.get('/projects/evt/repositories/late/artifacts/v1')).status).toBe(200);
      const deleted = await registry.request('DELETE', `/v2/evt/late/manifests/${image.manifest.digest}`);
      expect(deleted.status).toBe(202);
      await eventsDelivered();
      expect((await suite.admin.get(`/projects/evt/repositories/late/artifacts/${image.manifest.digest}`)).status).toBe(404);

      // The delete event first, then the push event of the same manifest, late (as a retry would deliver it).
      const answers = [
        await notify([registryEvent('delete', 'evt/late', image, { timestamp: new Date() })]),
        await notify([registryEvent('push', 'evt/late', image, { tag: 'v1', timestamp: pushedAt })]),
        await notify([registryEvent('push', 'evt/late', image, { timestamp: pushedAt })]),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 200, 200]);

      expect((await suite.admin.get(`/projects/evt/repositories/late/artifacts/${image.manifest.digest}`)).status).toBe(404);
      expect((await suite.admin.get('/projects/evt/repositories/late/artifacts/v1')).status).toBe(404);
      expect(await artifactRows('evt/late', image.manifest.digest)).toBe(0);
      expect(await count("SELECT 1 FROM core.tag t JOIN core.repository r USING (repository_id) WHERE r.name = 'evt/late'", [])).toBe(0);
      expect((await registry.request('GET', `/v2/evt/late/manifests/${image.manifest.digest}`)).status).toBe(404);
    });

    it('keeps a manifest that exists again when a stale delete event for it arrives', async () => {
      const image = await pushImage('evt/again', 'v1');
      const deletedAt = new Date();
      expect((await registry.request('DELETE', `/v2/evt/again/manifests/${image.manifest.digest}`)).status).toBe(202);
      await eventsDelivered();
      expect((await suite.admin.get(`/projects/evt/repositories/again/artifacts/${image.manifest.digest}`)).status).toBe(404);
      await registry.pushImage('evt/again', image, 'v1');
      await eventsDelivered();

      const answers = [
        await notify([registryEvent('delete', 'evt/again', image, { timestamp: deletedAt })]),
        await notify([registryEvent('delete', 'evt/again', image, { tag: 'v1', timestamp: deletedAt })]),
      ];
      expect(answers.map((a) => a.status)).toEqual([200, 200]);

      const artifact = await suite.admin.get<Artifact>('/projects/evt/repositories/again/artifacts/v1');
      expect(artifact.status).toBe(200);
      expect(artifact.body.digest).toBe(image.manifest.digest);
      expect(artifact.body.tags?.map((t) => t.name)).toEqual(['v1']);
      expect(await artifactRows('evt/again', image.manifest.digest)).toBe(1);
    });

    it('does not move a tag back when the push event of its previous manifest arrives late', async () => {
      const first = await pushImage('evt/moved', 'v1');
      const second = await pushImage('evt/moved', 'v1');
      await eventsDelivered();
      expect(await notify([registryEvent('push', 'evt/moved', first, { tag: 'v1' })])).toMatchObject({ status: 200 });

      const tagged = await suite.admin.get<Artifact>('/projects/evt/repositories/moved/artifacts/v1');
      expect(tagged.body.digest).toBe(second.manifest.digest);
      const old = await suite.admin.get<Artifact>(`/projects/evt/repositories/moved/artifacts/${first.manifest.digest}`);
      expect(old.status).toBe(200);
      expect(old.body.tags ?? []).toEqual([]);
    });
  });

  describe('pull events', () => {
    it('counts a pull once though the event is delivered twice, one after the other and at once', async () => {
      const image = await pushImage('evt/pulls', 'v1');
      await eventsDelivered();
      const pullCount = async () => (await suite.admin.get<{ pull_count: number }>('/projects/evt/repositories/pulls')).body.pull_count;
      expect(await pullCount()).toBe(0);

      const pulledAt = new Date(Date.now() - 60_000);
      const pull = registryEvent('pull', 'evt/pulls', image, { tag: 'v1', actor: 'puller-one', timestamp: pulledAt });
      expect(await notify([pull])).toMatchObject({ status: 200, body: { applied: 1, ignored: 0 } });
      expect(await notify([pull])).toMatchObject({ status: 200, body: { applied: 0, ignored: 1 } });
      expect(await pullCount()).toBe(1);
      expect(await auditRows('puller-one')).toBe(1);
      const artifact = await suite.admin.get<Artifact>('/projects/evt/repositories/pulls/artifacts/v1');
      expect(new Date(artifact.body.pull_time).getTime()).toBe(pulledAt.getTime());

      const raced = registryEvent('pull', 'evt/pulls', image, { tag: 'v1', actor: 'puller-race' });
      await Promise.all([notify([raced]), notify([raced]), notify([raced])]);
      expect(await pullCount()).toBe(2);
      expect(await auditRows('puller-race')).toBe(1);

      // One envelope: a repeated event counts once; the pull times keep the latest of the batch.
      const later = new Date(Date.now() + 1_000);
      const first = registryEvent('pull', 'evt/pulls', image, { tag: 'v1', actor: 'puller-batch', timestamp: later });
      const second = registryEvent('pull', 'evt/pulls', image, { tag: 'v1', actor: 'puller-batch', timestamp: pulledAt });
      expect(await notify([first, second, first])).toMatchObject({ status: 200, body: { applied: 2, ignored: 1 } });
      expect(await pullCount()).toBe(4);
      expect(await auditRows('puller-batch')).toBe(2);
      const batched = await suite.admin.get<Artifact>('/projects/evt/repositories/pulls/artifacts/v1');
      expect(new Date(batched.body.pull_time).getTime()).toBe(later.getTime());
    });
  });

  describe('who may post events', () => {
    it('refuses events without the suite secret or with a wrong one (401) and applies nothing', async () => {
      const image = await pushImage('evt/guarded', 'v1');
      await eventsDelivered();
      const pull = registryEvent('pull', 'evt/guarded', image, { tag: 'v1', actor: 'intruder' });
      const wrongSameLength = secret.replace(/^./, (c) => (c === 'a' ? 'b' : 'a'));
      const basicAdmin = `Basic ${Buffer.from(`admin:${suite.adminPassword}`).toString('base64')}`;
      for (const authorization of [null, `Harbor-Secret ${wrongSameLength}`, 'Harbor-Secret wrong', 'Harbor-Secret ', `Bearer ${secret}`, basicAdmin, secret]) {
        const answer = await notify([pull], authorization);
        expect({ authorization, status: answer.status }).toEqual({ authorization, status: 401 });
      }
      expect(await appliedRows(pull.id)).toBe(0);
      expect(await auditRows('intruder')).toBe(0);
      expect((await suite.admin.get<{ pull_count: number }>('/projects/evt/repositories/guarded')).body.pull_count).toBe(0);

      // The same event with the secret is accepted: it was refused for its credentials only.
      expect(await notify([pull])).toMatchObject({ status: 200, body: { applied: 1 } });
      expect((await suite.admin.get<{ pull_count: number }>('/projects/evt/repositories/guarded')).body.pull_count).toBe(1);
    });
  });

  describe('prevent_vul', () => {
    it('refuses to pull a manifest at or above the project severity (412), pulls one below it, and pulls again once prevent_vul is off', async () => {
      const high = await pushImage('vuln/app', 'high');
      const medium = await pushImage('vuln/app', 'medium');
      await sql.query("INSERT INTO core.scan_summary (digest, severity) VALUES ($1, 'High'), ($2, 'Medium')", [high.manifest.digest, medium.manifest.digest]);
      const puller = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:vuln/app:pull']);
      const accept = { Accept: high.manifest.mediaType };
      expect((await puller.request('GET', '/v2/vuln/app/manifests/high', { headers: accept })).status).toBe(200);

      expect((await suite.admin.put('/projects/vuln', { metadata: { prevent_vul: 'true', severity: 'high' } })).status).toBe(200);
      const project = await suite.admin.get<{ metadata: Record<string, string> }>('/projects/vuln');
      expect(project.body.metadata).toMatchObject({ prevent_vul: 'true', severity: 'high' });

      for (const reference of ['high', high.manifest.digest]) {
        const refused = await puller.request('GET', `/v2/vuln/app/manifests/${reference}`, { headers: accept });
        expect(refused.status).toBe(412);
        const [error] = refused.json<{ errors: { code: string; message: string }[] }>().errors;
        // Harbor's vulnerable middleware answers PROJECTPOLICYVIOLATION (412); DENIED is its 403 code.
        expect(error!.code).toBe('PROJECTPOLICYVIOLATION');
        expect(error!.message).toMatch(/cannot be pulled due to configured policy/);
        expect(error!.message).toContain('High');
      }
      expect((await puller.request('GET', '/v2/vuln/app/manifests/medium', { headers: accept })).status).toBe(200);
      expect((await puller.request('GET', `/v2/vuln/app/manifests/${medium.manifest.digest}`, { headers: accept })).status).toBe(200);

      expect((await suite.admin.put('/projects/vuln', { metadata: { prevent_vul: 'false' } })).status).toBe(200);
      const pulled = await puller.request('GET', '/v2/vuln/app/manifests/high', { headers: accept });
      expect(pulled.status).toBe(200);
      expect(pulled.headers.get('docker-content-digest')).toBe(high.manifest.digest);
    });
  });
});
