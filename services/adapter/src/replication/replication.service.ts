import type { Logger } from '@wharf/logging';
import { CapabilityMissingError } from '../adapters/adapter.errors.js';
import { isArtifactSink, isArtifactSource, type Registry, type RegistryAdapter } from '../adapters/registry-adapter.js';
import type { CopyItem, CopyProgress, CopyResult, CopyService } from '../copy/copy.service.js';
import type { ReplicationCopyRequestV1, ReplicationDeleteRequestV1, ResourceV1 } from '@wharf/contracts';

export interface ReplicationServiceDeps {
  copier: CopyService;
  createAdapter: (registry: Registry) => RegistryAdapter;
  logger: Logger;
}

/** The registry's identity for resume and mount bookkeeping: its URL without credentials or trailing slash. */
export function registryKey(registry: Registry): string {
  const url = new URL(registry.url);
  return `${url.protocol}//${url.host}${url.pathname.replace(/\/+$/, '')}`;
}

/**
 * What Harbor's REPLICATION job does with one task: copy the source resource's artifacts
 * to the destination resource's repository (Harbor: `dst.artifacts[i].tags` name the tags
 * of `src.artifacts[i]`), or delete the destination's artifacts.
 */
export class ReplicationService {
  readonly #deps: ReplicationServiceDeps;

  constructor(deps: ReplicationServiceDeps) {
    this.#deps = deps;
  }

  async copy(params: ReplicationCopyRequestV1, options: { signal: AbortSignal; onProgress?: (progress: CopyProgress) => void }): Promise<CopyResult> {
    const src = params.src_resource;
    const dst = params.dst_resource;
    const source = this.#deps.createAdapter(src.registry);
    const destination = this.#deps.createAdapter(dst.registry);
    try {
      if (!isArtifactSource(source)) throw new CapabilityMissingError(source.registry.type, 'a source');
      if (!isArtifactSink(destination)) throw new CapabilityMissingError(destination.registry.type, 'a destination');
      const srcRepository = src.metadata.repository.name;
      const items = await itemsOf(src, dst, () => source.listTags(srcRepository, { signal: options.signal }));
      return await this.#deps.copier.copy({
        source: { adapter: source, repository: srcRepository, registryKey: registryKey(source.registry) },
        destination: { adapter: destination, repository: dst.metadata.repository.name, registryKey: registryKey(destination.registry) },
        items,
        override: dst.override ?? src.override ?? false,
        speed: params.speed,
        copyByChunk: params.copy_by_chunk,
        signal: options.signal,
        onProgress: options.onProgress,
      });
    } finally {
      await Promise.all([source.close?.(), destination.close?.()]);
    }
  }

  /** Deletes the destination's artifacts: tags only with `is_delete_tag`, else the manifests. */
  async delete(params: ReplicationDeleteRequestV1, options: { signal: AbortSignal }): Promise<{ deleted: { repository: string; reference: string }[] }> {
    const dst = params.dst_resource;
    const adapter = this.#deps.createAdapter(dst.registry);
    try {
      if (!isArtifactSink(adapter)) throw new CapabilityMissingError(adapter.registry.type, 'a destination');
      const repository = dst.metadata.repository.name;
      const deleted: { repository: string; reference: string }[] = [];
      for (const artifact of dst.metadata.artifacts ?? []) {
        const tags = artifact.tags ?? [];
        if (dst.is_delete_tag && tags.length > 0) {
          for (const tag of tags) {
            await adapter.deleteTag(repository, tag, options);
            deleted.push({ repository, reference: tag });
          }
          continue;
        }
        let digest: string | undefined = artifact.digest || undefined;
        if (!digest && tags[0]) digest = (await adapter.headManifest(repository, tags[0], options))?.digest;
        if (!digest) continue; // already gone
        await adapter.deleteManifest(repository, digest, options);
        deleted.push({ repository, reference: digest });
      }
      this.#deps.logger.info('destination artifacts deleted', { repository, count: deleted.length });
      return { deleted };
    } finally {
      await adapter.close?.();
    }
  }
}

/** The artifacts to copy: by first tag (or digest), written under the destination's tags; every tag when none are named. */
export async function itemsOf(src: ResourceV1, dst: ResourceV1, allTags: () => Promise<string[]>): Promise<CopyItem[]> {
  const artifacts = src.metadata.artifacts ?? [];
  if (artifacts.length === 0) {
    const tags = src.metadata.v_tags && src.metadata.v_tags.length > 0 ? src.metadata.v_tags : await allTags();
    return tags.map((tag) => ({ reference: tag, tags: [tag] }));
  }
  return artifacts.flatMap((artifact, index) => {
    const srcTags = artifact.tags ?? [];
    const dstTags = dst.metadata.artifacts?.[index]?.tags ?? srcTags;
    const reference = srcTags[0] ?? artifact.digest;
    if (!reference) return [];
    return [{ reference, tags: dstTags.length > 0 ? dstTags : srcTags }];
  });
}
