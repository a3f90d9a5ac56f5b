import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestImage, type TestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdapter, type AdapterUnderTest } from '../factories/adapter-process.js';
import { startFixtureServer, type FixtureServer } from '../factories/api-fixtures.js';
import { digestAt, pushImage } from '../factories/content.js';
import { startDistribution, type Distribution } from '../factories/registries.js';

interface ResourceAnswer {
  metadata: { repository: { name: string; metadata?: { public?: string } }; artifacts: { digest: string; tags: string[]; labels: string[] }[] };
}

describe('docker-hub and harbor adapters against recorded-shape API fixtures', () => {
  let dir: string;
  let content: Distribution; // token auth, plays registry-1.docker.io and Harbor's /v2
  let mirror: Distribution; // basic auth destination
  let hub: FixtureServer;
  let harbor: FixtureServer;
  let adapter: AdapterUnderTest;
  let nginx: TestImage;
  let redis: TestImage;
  const createdProjects: { project_name: string; metadata: { public: string } }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-adapter-apis-'));
    const [a, b] = await Promise.all([mkdtemp(join(dir, 'content-')), mkdtemp(join(dir, 'mirror-'))]);
    [content, mirror] = await Promise.all([startDistribution(a, { kind: 'token' }), startDistribution(b, { kind: 'basic' })]);
    nginx = createTestImage({ format: 'docker' });
    redis = createTestImage();
    await pushImage(content, 'library/nginx', nginx, ['v1.25', 'latest']);
    await pushImage(content, 'library/redis', redis, ['v7']);
    await pushImage(content, 'prod/api', redis, ['v7', 'stable']);

    // Docker Hub's listing API: repositories in two pages, tags with digests.
    hub = await startFixtureServer((_req, body, url) => {
      if (url.pathname === '/v2/users/login/') return JSON.parse(body).password === content.password ? { status: 200, json: { token: 'hub-jwt' } } : { status: 401, json: { detail: 'Incorrect authentication credentials' } };
      if (url.pathname === '/v2/repositories/library/') {
        const page = url.searchParams.get('page') ?? '1';
        return page === '1'
          ? { status: 200, json: { count: 2, next: `${hub.url}/v2/repositories/library/?page=2&page_size=1`, previous: null, results: [{ name: 'nginx', namespace: 'library', repository_type: 'image', is_private: false }] } }
          : { status: 200, json: { count: 2, next: null, previous: `${hub.url}/v2/repositories/library/?page=1`, results: [{ name: 'redis', namespace: 'library', repository_type: 'image', is_private: false }] } };
      }
      if (url.pathname === '/v2/repositories/library/nginx/tags/') {
        return { status: 200, json: { count: 2, next: null, results: [{ name: 'v1.25', digest: nginx.manifest.digest, images: [] }, { name: 'latest', digest: nginx.manifest.digest, images: [] }] } };
      }
      if (url.pathname === '/v2/repositories/library/redis/tags/') return { status: 200, json: { count: 1, next: null, results: [{ name: 'v7', images: [] }] } };
      return undefined;
    });

    // Harbor's API v2.0 (projects, repositories, artifacts) with /v2 proxied to the content registry.
    harbor = await startFixtureServer((req, body, url) => {
      const path = url.pathname;
      if (path === '/api/v2.0/ping') return { status: 200, json: 'Pong' };
      if (path === '/api/v2.0/projects' && req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? 1);
        const all = [{ project_id: 1, name: 'library', metadata: { public: 'true' } }, { project_id: 2, name: 'prod', metadata: { public: 'false' } }];
        const size = Number(url.searchParams.get('page_size') ?? 10);
        return { status: 200, json: all.slice((page - 1) * size, page * size) };
      }
      if (path === '/api/v2.0/projects' && req.method === 'POST') {
        createdProjects.push(JSON.parse(body) as (typeof createdProjects)[number]);
        return { status: 201 };
      }
      if (path === '/api/v2.0/projects/library' || path === '/api/v2.0/projects/prod') return { status: 200, json: { name: path.split('/').pop() } };
      if (path.startsWith('/api/v2.0/projects/') && path.split('/').length === 5) return { status: 404, json: { errors: [{ code: 'NOT_FOUND', message: 'project not found' }] } };
      if (path === '/api/v2.0/projects/library/repositories') return { status: 200, json: [{ name: 'library/nginx' }, { name: 'library/redis' }] };
      if (path === '/api/v2.0/projects/prod/repositories') return { status: 200, json: [{ name: 'prod/api' }] };
      if (path === '/api/v2.0/projects/library/repositories/nginx/artifacts') return { status: 200, json: [{ digest: nginx.manifest.digest, type: 'IMAGE', tags: [{ name: 'v1.25' }, { name: 'latest' }], labels: [] }] };
      if (path === '/api/v2.0/projects/library/repositories/redis/artifacts') return { status: 200, json: [{ digest: redis.manifest.digest, type: 'IMAGE', tags: [{ name: 'v7' }], labels: [{ name: 'approved' }] }] };
      if (path === '/api/v2.0/projects/prod/repositories/api/artifacts') return { status: 200, json: [{ digest: redis.manifest.digest, type: 'IMAGE', tags: [{ name: 'v7' }, { name: 'stable' }], labels: [{ name: 'approved' }] }] };
      if (path === '/api/v2.0/labels') return { status: 200, json: [{ name: 'approved' }] };
      return undefined;
    }, content.url);

    adapter = await startAdapter(dir);
  }, 60_000);

  afterAll(async () => {
    await adapter?.stop();
    await hub?.stop();
    await harbor?.stop();
    await content?.stop();
    await mirror?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  const dockerHub = () => ({ type: 'docker-hub', url: hub.url, registry_url: content.url, credential: { type: 'basic', access_key: content.username, access_secret: content.password } });
  const harborRegistry = () => ({ type: 'harbor', url: harbor.url, credential: { type: 'basic', access_key: content.username, access_secret: content.password } });
  const mirrorRegistry = () => ({ type: 'docker-registry', url: mirror.url, credential: { type: 'basic', access_key: mirror.username, access_secret: mirror.password } });

  it('lists Docker Hub repositories and tags across pages, with filters', async () => {
    const response = await adapter.post('/api/v1/resources', { registry: dockerHub(), filters: [{ type: 'name', value: 'library/*' }, { type: 'tag', value: 'v*' }] });
    expect(response.status).toBe(200);
    const resources = (await response.json()) as ResourceAnswer[];
    expect(resources.map((r) => r.metadata.repository.name).sort()).toEqual(['library/nginx', 'library/redis']);
    expect(resources.find((r) => r.metadata.repository.name === 'library/nginx')!.metadata.artifacts).toEqual([expect.objectContaining({ digest: nginx.manifest.digest, tags: ['v1.25'] })]);
    // redis's tag came without a digest: it was asked of the registry.
    expect(resources.find((r) => r.metadata.repository.name === 'library/redis')!.metadata.artifacts[0]!.digest).toBe(redis.manifest.digest);
    expect(hub.requests.some((r) => r.path.includes('page=2'))).toBe(true);
  });

  it('copies from Docker Hub (registry API with auth tokens) with identical digests', async () => {
    const resource = (registry: unknown, name: string) => JSON.stringify({ type: 'image', metadata: { repository: { name }, artifacts: [{ digest: nginx.manifest.digest, tags: ['v1.25'] }] }, registry });
    const response = await adapter.post('/api/v1/replications/copy', { src_resource: resource(dockerHub(), 'library/nginx'), dst_resource: resource(mirrorRegistry(), 'hub/nginx') });
    expect(response.status).toBe(200);
    expect(await digestAt(mirror, 'hub/nginx', 'v1.25')).toBe(nginx.manifest.digest);
  });

  it('describes docker-hub as ONLY_TWO and harbor as AT_LEAST_TWO with its labels', async () => {
    const hubInfo = (await (await adapter.post('/api/v1/registries/info', { registry: dockerHub() })).json()) as { supported_repository_path_component_type: string };
    expect(hubInfo.supported_repository_path_component_type).toBe('ONLY_TWO');
    const harborInfo = (await (await adapter.post('/api/v1/registries/info', { registry: harborRegistry() })).json()) as { supported_resource_filters: { type: string; values?: string[] }[] };
    expect(harborInfo.supported_resource_filters.find((f) => f.type === 'label')?.values).toEqual(['approved']);
  });

  it('lists Harbor projects, repositories and artifacts with tag and label filters', async () => {
    const response = await adapter.post('/api/v1/resources', { registry: harborRegistry(), filters: [{ type: 'name', value: '**' }, { type: 'label', value: ['approved'] }, { type: 'tag', value: 'stable', decoration: 'excludes' }] });
    const resources = (await response.json()) as ResourceAnswer[];
    expect(resources.map((r) => r.metadata.repository.name).sort()).toEqual(['library/redis', 'prod/api']);
    expect(resources.find((r) => r.metadata.repository.name === 'prod/api')!.metadata.artifacts[0]!.tags).toEqual(['v7']);
    expect(resources.find((r) => r.metadata.repository.name === 'prod/api')!.metadata.repository.metadata?.public).toBe('false');
    expect(harbor.requests.some((r) => r.path.includes('with_tag=true'))).toBe(true);
    expect((await (await adapter.post('/api/v1/registries/health', { registry: harborRegistry() })).json())).toMatchObject({ status: 'healthy' });
  });

  it('creates missing Harbor projects before a push, copying public, then copies into Harbor', async () => {
    const prepare = await adapter.post('/api/v1/registries/prepare', {
      registry: harborRegistry(),
      resources: [
        { type: 'image', metadata: { repository: { name: 'mirrored/nginx', metadata: { public: 'true' } }, artifacts: [] } },
        { type: 'image', metadata: { repository: { name: 'library/nginx' }, artifacts: [] } },
        { type: 'image', metadata: { repository: { name: 'private-team/app' }, artifacts: [] } },
      ],
    });
    expect(prepare.status).toBe(200);
    expect(createdProjects).toEqual([
      { project_name: 'mirrored', metadata: { public: 'true' } },
      { project_name: 'private-team', metadata: { public: 'false' } },
    ]);

    const resource = (registry: unknown, name: string) => JSON.stringify({ type: 'image', metadata: { repository: { name }, artifacts: [{ tags: ['v1.25'] }] }, registry });
    const copied = await adapter.post('/api/v1/replications/copy', { src_resource: resource(dockerHub(), 'library/nginx'), dst_resource: resource(harborRegistry(), 'mirrored/nginx') });
    expect(copied.status).toBe(200);
    expect(await digestAt(content, 'mirrored/nginx', 'v1.25')).toBe(nginx.manifest.digest);
  });
});
