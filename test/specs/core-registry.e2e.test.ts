import { createTestImage, createTestIndex } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSuite, type Suite } from '../src/suite.js';

interface Artifact {
  digest: string;
  type: string;
  tags?: { name: string }[];
  references: { child_digest: string; platform?: { architecture: string } }[];
  extra_attrs: Record<string, unknown>;
  pull_time: string;
}

async function eventually<T>(read: () => Promise<T>, done: (value: T) => boolean, timeoutMs = 15_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await read();
    if (done(value) || Date.now() > deadline) return value;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe('pushing and pulling through core', () => {
  let suite: Suite;
  beforeAll(async () => {
    suite = await startSuite('core-registry');
    await suite.admin.createProject('demo');
  });
  afterAll(async () => suite?.stop());

  it('shows a pushed image in the API as soon as the push returns', async () => {
    const image = createTestImage({ layers: 2 });
    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:demo/app:pull,push']);
    await registry.pushImage('demo/app', image, 'v1');
    const artifact = await suite.admin.get<Artifact>('/projects/demo/repositories/app/artifacts/v1');
    expect(artifact.status).toBe(200);
    expect(artifact.body.digest).toBe(image.manifest.digest);
    expect(artifact.body.type).toBe('IMAGE');
    expect(artifact.body.tags?.map((t) => t.name)).toEqual(['v1']);
    expect(artifact.body.extra_attrs).toMatchObject({ architecture: 'amd64', os: 'linux' });
  });

  it('projects a two-platform index with its children', async () => {
    const images = [createTestImage({ layers: 1 }), createTestImage({ layers: 1, platform: { os: 'linux', architecture: 'arm64' } })];
    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:demo/multi:pull,push']);
    for (const image of images) await registry.pushImage('demo/multi', image, image.manifest.digest);
    const index = createTestIndex(images);
    expect((await registry.pushManifest('demo/multi', 'latest', index)).status).toBe(201);
    const artifact = await suite.admin.get<Artifact>('/projects/demo/repositories/multi/artifacts/latest');
    expect(artifact.body.references.map((r) => r.child_digest).sort()).toEqual(images.map((i) => i.manifest.digest).sort());
    const all = await suite.admin.get<Artifact[]>('/projects/demo/repositories/multi/artifacts');
    expect(all.body).toHaveLength(3);
  });

  it('counts pulls from the registry events, and not core\'s own reads', async () => {
    const registry = await suite.registryAs({ username: 'admin', password: suite.adminPassword }, ['repository:demo/app:pull']);
    expect((await registry.request('GET', '/v2/demo/app/manifests/v1')).status).toBe(200);
    const repository = await eventually(
      () => suite.admin.get<{ pull_count: number }>('/projects/demo/repositories/app'),
      (r) => r.body.pull_count >= 1,
    );
    expect(repository.body.pull_count).toBe(1);
  });

  it('records the push once in the audit log, though both the push answer and the registry event report it', async () => {
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const logs = await suite.admin.get<{ operation: string; resource: string; resource_type: string; username: string }[]>('/audit-logs?page_size=100');
    const pushes = logs.body.filter((l) => l.resource === 'demo/app:v1' && l.operation === 'create');
    expect(pushes).toHaveLength(1);
    expect(pushes[0]).toMatchObject({ resource_type: 'artifact', username: 'admin' });
  });
});
