import { describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import { createTestImage } from '@wharf/testing';
import type { ProjectService } from '../projects/project.service.js';
import type { RegistryClient } from '../registry/registry.client.js';
import type { ArtifactStore } from './artifact.store.js';
import { ArtifactSyncService } from './artifact-sync.service.js';

/**
 * A registry whose answers to `resolve` wait until the test lets them go, and a projection
 * that records what is written: enough to replay a late push event racing a tag delete.
 */
function fixture(now: () => number = Date.now) {
  const image = createTestImage({ layers: 1 });
  const registryTags = new Map<string, string>([['temporary', image.manifest.digest]]);
  const gates: (() => void)[] = [];
  const projection = new Set<string>();
  const manifestReads: string[] = [];
  const registry = {
    resolve: async (_repository: string, tag: string) => {
      const digest = registryTags.get(tag);
      await new Promise<void>((resolve) => gates.push(resolve));
      return digest ? { digest, mediaType: image.manifest.mediaType, size: image.manifest.bytes.length } : undefined;
    },
    getManifest: async (_repository: string, digest: string) => {
      manifestReads.push(digest);
      return digest === image.manifest.digest ? { body: image.manifest.bytes, mediaType: image.manifest.mediaType, digest } : undefined;
    },
    getSmallBlob: async () => image.config.bytes,
  } as unknown as RegistryClient;
  const artifacts = {
    upsert: async (_projectId: number, _repository: string, _facts: unknown, tags: readonly string[]) => {
      for (const tag of tags) projection.add(tag);
      return 1;
    },
    removeTag: async (_repository: string, tag: string) => projection.delete(tag),
    remove: async () => true,
    findByTag: async (_repository: string, tag: string) => (projection.has(tag) ? { digest: image.manifest.digest } : undefined),
    findByDigest: async () => (projection.size > 0 ? { digest: image.manifest.digest } : undefined),
  } as unknown as ArtifactStore;
  const projects = { find: async () => ({ id: 1, name: 'lib' }) } as unknown as ProjectService;
  const sync = new ArtifactSyncService({ registry, artifacts, projects, logger: createLogger({ service: 'core', level: 'error', format: 'json' }), now });
  return { sync, registryTags, gates, projection, manifestReads, image, digest: image.manifest.digest };
}

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('syncing the projection', () => {
  it('does not bring back a tag that a later sync removed, when an earlier sync of the same repository is still reading', async () => {
    const { sync, registryTags, gates, projection } = fixture();
    // A late push event's sync reads the registry while the tag still exists...
    const late = sync.sync({ repository: 'lib/app', tag: 'temporary' });
    await settle();
    // ...then the tag is deleted in the registry and the API syncs the delete.
    registryTags.delete('temporary');
    const removal = sync.sync({ repository: 'lib/app', tag: 'temporary' });
    await settle();
    expect(gates, 'the second sync waits for the first').toHaveLength(1);
    gates.shift()!();
    await late;
    await settle();
    gates.shift()!();
    await removal;
    expect(projection.has('temporary')).toBe(false);
  });

  it('lets syncs of different repositories run side by side', async () => {
    const { sync, gates } = fixture();
    const one = sync.sync({ repository: 'lib/one', tag: 'temporary' });
    const two = sync.sync({ repository: 'lib/two', tag: 'temporary' });
    await settle();
    expect(gates).toHaveLength(2);
    for (const release of gates.splice(0)) release();
    await Promise.all([one, two]);
  });

  it('projects a push from the body core forwarded, without reading the manifest back', async () => {
    const { sync, gates, projection, digest, manifestReads, image } = fixture();
    await sync.projectPush({ repository: 'lib/app', digest, mediaType: image.manifest.mediaType, body: image.manifest.bytes, tags: ['v1', 'latest'] });
    expect(gates, 'no tag was resolved in the registry').toHaveLength(0);
    expect(manifestReads, 'no manifest was read from the registry').toEqual([]);
    expect([...projection].sort()).toEqual(['latest', 'v1']);
  });

  it('remembers for a minute a push it projected, so that its registry event need not read the registry again while the projection shows it', async () => {
    let now = 0;
    const { sync, projection, digest, image } = fixture(() => now);
    await sync.projectPush({ repository: 'lib/app', digest, mediaType: image.manifest.mediaType, body: image.manifest.bytes, tags: ['temporary'] });
    expect(projection.has('temporary')).toBe(true);
    expect(await sync.projectedPush('lib/app', digest, 'temporary')).toBe(true);
    expect(await sync.projectedPush('lib/app', digest, 'other')).toBe(false);
    expect(await sync.projectedPush('lib/other', digest, 'temporary')).toBe(false);
    expect(await sync.projectedPush('lib/app', undefined, 'temporary')).toBe(false);
    // A projection that lost the tag meanwhile is synced again.
    projection.delete('temporary');
    expect(await sync.projectedPush('lib/app', digest, 'temporary')).toBe(false);
    projection.add('temporary');
    now = 60_000;
    expect(await sync.projectedPush('lib/app', digest, 'temporary')).toBe(false);
  });
});
