import { filterArtifacts, repositoryMatches, type ResourceV1, type PlacedResourceV1Input, type ResourceArtifactV1, type RegistryEndpointV1Input } from '@wharf/contracts';
import { checkPathComponents, replaceNamespace } from './namespace.js';
import type { ReplicationPolicy } from './policy.schemas.js';

/** One repository to replicate: what the source has (filtered) and where it goes. */
export interface PlanItem {
  resourceType: string;
  src: string;
  dst: string;
  repositoryMetadata: Record<string, unknown>;
  artifacts: ResourceArtifactV1[];
}

export type PlanOperation = { kind: 'copy' } | { kind: 'deletion'; isDeleteTag: boolean };

/**
 * The plan of a run (Harbor's copy flow before its tasks): the source's resources passing
 * every filter (re-applied here whatever the adapter did), each renamed for the destination
 * with Harbor's namespace rewrite and checked against the destination's path rules.
 * Repositories left without artifacts are dropped. One function for real runs, event
 * runs and dry runs, so a dry run shows exactly the tasks a run would create.
 */
export function buildPlan(policy: Pick<ReplicationPolicy, 'filters' | 'destNamespace' | 'destNamespaceReplaceCount'>, resources: readonly ResourceV1[], destPathType?: string): PlanItem[] {
  const items: PlanItem[] = [];
  for (const resource of resources) {
    const name = resource.metadata.repository.name;
    if (!repositoryMatches(policy.filters, name)) continue;
    const artifacts = filterArtifacts(policy.filters, resource.metadata.artifacts);
    if (artifacts.length === 0) continue;
    const dst = replaceNamespace(name, policy.destNamespace, policy.destNamespaceReplaceCount);
    checkPathComponents(dst, destPathType);
    items.push({ resourceType: resource.type, src: name, dst, repositoryMetadata: resource.metadata.repository.metadata ?? {}, artifacts });
  }
  return items.sort((a, b) => (a.src < b.src ? -1 : a.src > b.src ? 1 : 0));
}

/** Harbor's `getResourceName`: the repository with its first references (`lib/a:[1.0,latest]`). */
export function resourceName(repository: string, artifacts: readonly Pick<ResourceArtifactV1, 'digest' | 'tags'>[]): string {
  const references = references_(artifacts);
  if (references.length === 0) return repository;
  if (references.length <= 5) return `${repository}:[${references.join(',')}]`;
  return `${repository}:[${references.slice(0, 5).join(',')} ... ${references.length} in total]`;
}

function references_(artifacts: readonly Pick<ResourceArtifactV1, 'digest' | 'tags'>[]): string[] {
  return artifacts.flatMap((a) => (a.tags.length > 0 ? a.tags : [a.digest]));
}

/** The REPLICATION job and the task attributes of one plan item (Harbor's copy.go / deletion.go). */
export function taskOf(
  item: PlanItem,
  policy: Pick<ReplicationPolicy, 'override' | 'speed' | 'copyByChunk'>,
  registries: { src: RegistryEndpointV1Input; dest: RegistryEndpointV1Input },
  operation: PlanOperation,
): { job: { name: 'REPLICATION'; parameters: Record<string, unknown> }; extraAttrs: Record<string, unknown>; src: PlacedResourceV1Input; dst: PlacedResourceV1Input } {
  const artifacts = item.artifacts.map((a) => ({ type: a.type, digest: a.digest, tags: [...a.tags], labels: [...a.labels] }));
  const deleted = operation.kind === 'deletion';
  const isDeleteTag = operation.kind === 'deletion' && operation.isDeleteTag;
  const resource = (name: string, registry: RegistryEndpointV1Input): PlacedResourceV1Input => ({
    type: item.resourceType,
    metadata: { repository: { name, metadata: item.repositoryMetadata }, artifacts },
    registry,
    deleted,
    is_delete_tag: isDeleteTag,
    override: policy.override,
  });
  const src = resource(item.src, registries.src);
  const dst = resource(item.dst, registries.dest);
  return {
    src,
    dst,
    job: {
      name: 'REPLICATION',
      parameters: {
        src_resource: JSON.stringify(src),
        dst_resource: JSON.stringify(dst),
        // Harbor's -1 means unlimited, as 0 does; jobservice accepts 0 and up.
        speed: Math.max(0, policy.speed),
        copy_by_chunk: policy.copyByChunk,
      },
    },
    extraAttrs: {
      operation: deleted ? 'deletion' : 'copy',
      resource_type: item.resourceType,
      source_resource: resourceName(item.src, item.artifacts),
      destination_resource: resourceName(item.dst, item.artifacts),
      references: references_(item.artifacts).join(','),
    },
  };
}
