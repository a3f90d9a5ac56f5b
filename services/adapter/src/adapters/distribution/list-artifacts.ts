import pMap from 'p-map';
import type { ReplicationFilterV1 as Filter } from '@wharf/contracts';
import { filterArtifacts, repositoryMatches, tagMatches } from '@wharf/contracts';
import type { Registry, Resource, ResourceArtifact } from '../registry-adapter.js';
import { publicRegistry } from '../registry-adapter.js';
import type { DistributionClient } from './distribution-client.js';

/**
 * The artifacts of `repositories` through the distribution API: tags listed (name and tag
 * filters first, to spare calls), each tag resolved to its digest, tags of one digest
 * grouped into one artifact, then the remaining filters. Label filters are dropped: a plain
 * registry has no labels.
 */
export async function listArtifacts(
  client: DistributionClient,
  registry: Registry,
  repositories: readonly string[],
  filters: readonly Filter[],
  options: { signal?: AbortSignal | undefined; concurrency?: number } = {},
): Promise<Resource[]> {
  const usable = filters.filter((f) => f.type !== 'label');
  const names = repositories.filter((name) => repositoryMatches(usable, name));
  const resources = await pMap(names, async (name) => {
    const tags = (await client.listTags(name, options)).filter((tag) => tagMatches(usable, tag));
    const heads = await pMap(tags, async (tag) => ({ tag, head: await client.headManifest(name, tag, options) }), { concurrency: options.concurrency ?? 8 });
    const byDigest = new Map<string, ResourceArtifact>();
    for (const { tag, head } of heads) {
      if (!head) continue; // deleted meanwhile
      const artifact = byDigest.get(head.digest) ?? { type: 'image', digest: head.digest, tags: [], labels: [] };
      artifact.tags.push(tag);
      byDigest.set(head.digest, artifact);
    }
    const artifacts = filterArtifacts(usable, [...byDigest.values()]);
    return artifacts.length > 0 ? [toResource(registry, name, artifacts)] : [];
  }, { concurrency: 4 });
  return resources.flat();
}

export function toResource(registry: Registry, repository: string, artifacts: ResourceArtifact[]): Resource {
  return {
    type: 'image',
    metadata: { repository: { name: repository }, artifacts },
    registry: publicRegistry(registry),
    deleted: false,
    is_delete_tag: false,
    override: false,
  };
}
