import type { Logger } from '@wharf/logging';
import { isIndexMediaType, MediaType, parseManifest, type ImageManifest, type ParsedManifest } from '@wharf/oci';
import type { ProjectService } from '../projects/project.service.js';
import type { RegistryClient } from '../registry/registry.client.js';
import type { ArtifactFacts, ArtifactStore } from './artifact.store.js';
import { InProcessProjectionGuard, type ProjectionGuard } from './projection-guard.js';

export interface SyncRequest {
  repository: string;
  digest?: string;
  tag?: string;
}

const CONFIG_LIMIT = 1024 * 1024;
const MAX_INDEX_DEPTH = 4;
/** How long a push core projected is trusted for its registry event. */
const PUSH_MEMORY_MS = 60_000;

/** A manifest push core forwarded and the registry accepted, with the very body sent. */
export interface PushedManifest {
  repository: string;
  digest: string;
  /** The push's Content-Type (the body's own mediaType field when it has none). */
  mediaType: string;
  body: Buffer;
  tags: readonly string[];
}

/** Harbor's artifact types, from the config media type. */
export function artifactTypeOf(manifest: ParsedManifest): string {
  if (manifest.kind === 'index') return 'IMAGE';
  const config = manifest.config.mediaType;
  if (config === MediaType.OciConfig || config === MediaType.DockerConfig) return 'IMAGE';
  if (config === 'application/vnd.cncf.helm.config.v1+json') return 'CHART';
  if (config.startsWith('application/vnd.cnab.')) return 'CNAB';
  if (config === 'application/vnd.wasm.config.v1+json') return 'WASM';
  return 'UNKNOWN';
}

/**
 * Brings the projection (artifacts, tags, index references) in line with what the registry
 * holds for a repository, a digest and a tag. It reads the registry's current state instead
 * of trusting the event that triggered it, so applying it twice, late, or out of order
 * (a delete before its push) ends in the same place. Called after a push through core
 * returns (read-your-writes) and for every registry event (repair): one function, two triggers.
 */
export class ArtifactSyncService {
  readonly #deps: { registry: RegistryClient; artifacts: ArtifactStore; projects: ProjectService; logger: Logger };
  readonly #guard: ProjectionGuard;

  constructor(deps: { registry: RegistryClient; artifacts: ArtifactStore; projects: ProjectService; logger: Logger; guard?: ProjectionGuard; now?: () => number }) {
    this.#deps = deps;
    this.#guard = deps.guard ?? new InProcessProjectionGuard({ now: deps.now });
  }

  /**
   * Projects a push that core answered (read-your-writes) from the manifest it forwarded: no
   * read of the registry for the manifest (an index's children are read only when the
   * projection lacks them, an image's config for what Harbor shows of it). The push is
   * remembered for a minute, so that the registry's event for it, arriving a moment later at
   * any core replica, need not read the registry ({@link projectedPush}).
   */
  async projectPush(push: PushedManifest): Promise<void> {
    await this.#guard.exclusive(push.repository, async () => {
      const project = await this.#deps.projects.find({ name: push.repository.split('/')[0] ?? '' });
      if (!project) {
        this.#deps.logger.warn('registry content in a project that does not exist', { repository: push.repository });
        return;
      }
      const manifest = parseManifest(push.body, push.mediaType || undefined);
      if (manifest.kind === 'index') {
        for (const child of manifest.manifests) {
          if (!(await this.#deps.artifacts.findByDigest(push.repository, child.digest))) await this.#syncDigest(project.id, push.repository, child.digest, [], 1);
        }
      }
      await this.#deps.artifacts.upsert(project.id, push.repository, await this.#facts(push.repository, push.digest, push.body, manifest), push.tags);
      await this.#guard.rememberPush(push.repository, push.digest, push.tags);
    });
  }

  /**
   * Whether this push was projected by {@link projectPush} within the last minute (by any
   * core replica) and the projection still shows it (the tag on that digest, or the digest).
   * Skipping the event's sync then loses nothing: anything that changed the tag since (another
   * push, a delete) projected itself, and a projection that lost the artifact meanwhile is
   * repaired by the sync as before. Checking is two queries; the sync reads the registry.
   */
  async projectedPush(repository: string, digest: string | undefined, tag: string | undefined): Promise<boolean> {
    if (!digest || !(await this.#guard.pushedRecently(repository, digest, tag, PUSH_MEMORY_MS))) return false;
    const projected = tag ? await this.#deps.artifacts.findByTag(repository, tag) : await this.#deps.artifacts.findByDigest(repository, digest);
    return projected?.digest === digest;
  }

  /** Forgets projected pushes older than `cutoff` (their events are long applied). */
  async prune(cutoff: Date): Promise<number> {
    return this.#guard.prune(cutoff);
  }

  /**
   * Runs `task` alone for the repository, across every core replica: syncs, push projections
   * and registry event applications of one repository never interleave (each reads the
   * registry and then writes the projection; two interleaved could bring back what the other
   * removed), and an event is applied once however many replicas receive it.
   */
  exclusive<T>(repository: string, task: () => Promise<T>): Promise<T> {
    return this.#guard.exclusive(repository, task);
  }

  /** Brings the projection in line with the registry for a repository, a digest and a tag (alone for the repository). */
  async sync(request: SyncRequest): Promise<void> {
    await this.#guard.exclusive(request.repository, () => this.#sync(request));
  }

  /** {@link sync} inside {@link exclusive} for the same repository. */
  async syncHeld(request: SyncRequest): Promise<void> {
    await this.#sync(request);
  }

  async #sync(request: SyncRequest): Promise<void> {
    const projectName = request.repository.split('/')[0] ?? '';
    const project = await this.#deps.projects.find({ name: projectName });
    if (!project) {
      this.#deps.logger.warn('registry content in a project that does not exist', { repository: request.repository });
      return;
    }
    let tagged: string | undefined;
    if (request.tag) {
      const resolved = await this.#deps.registry.resolve(request.repository, request.tag);
      if (resolved) {
        tagged = resolved.digest;
        await this.#syncDigest(project.id, request.repository, resolved.digest, [request.tag], 0);
      } else {
        await this.#deps.artifacts.removeTag(request.repository, request.tag);
      }
    }
    if (request.digest && request.digest !== tagged) await this.#syncDigest(project.id, request.repository, request.digest, [], 0);
  }

  async #syncDigest(projectId: number, repository: string, digest: string, tags: readonly string[], depth: number): Promise<void> {
    const fetched = await this.#deps.registry.getManifest(repository, digest);
    if (!fetched) {
      await this.#deps.artifacts.remove(repository, digest);
      return;
    }
    const manifest = parseManifest(fetched.body, fetched.mediaType);
    if (manifest.kind === 'index' && depth < MAX_INDEX_DEPTH) {
      for (const child of manifest.manifests) await this.#syncDigest(projectId, repository, child.digest, [], depth + 1);
    }
    await this.#deps.artifacts.upsert(projectId, repository, await this.#facts(repository, digest, fetched.body, manifest), tags);
  }

  async #facts(repository: string, digest: string, body: Buffer, manifest: ParsedManifest): Promise<ArtifactFacts> {
    const common = {
      digest,
      type: artifactTypeOf(manifest),
      manifestMediaType: manifest.mediaType,
      artifactType: manifest.artifactType ?? null,
      subjectDigest: manifest.subject?.digest ?? null,
      annotations: manifest.annotations ?? {},
    };
    if (manifest.kind === 'index' || isIndexMediaType(manifest.mediaType)) {
      const children = manifest.kind === 'index' ? manifest.manifests : [];
      return {
        ...common,
        mediaType: manifest.mediaType,
        size: body.byteLength + children.reduce((sum, child) => sum + child.size, 0),
        extraAttrs: {},
        references: children.map((child) => ({
          childDigest: child.digest,
          platform: (child.platform as Record<string, unknown> | undefined) ?? null,
          annotations: child.annotations ?? null,
          urls: child.urls ?? null,
        })),
      };
    }
    return {
      ...common,
      mediaType: manifest.config.mediaType,
      size: body.byteLength + manifest.config.size + manifest.layers.reduce((sum, layer) => sum + layer.size, 0),
      extraAttrs: await this.#extraAttrs(repository, manifest),
      references: [],
    };
  }

  /** For images, what Harbor shows from the config: architecture, os, author, created, config. */
  async #extraAttrs(repository: string, manifest: ImageManifest): Promise<Record<string, unknown>> {
    if (artifactTypeOf(manifest) !== 'IMAGE' && artifactTypeOf(manifest) !== 'CHART') return {};
    const blob = await this.#deps.registry.getSmallBlob(repository, manifest.config.digest, CONFIG_LIMIT);
    if (!blob) return {};
    try {
      const config = JSON.parse(blob.toString('utf8')) as Record<string, unknown>;
      if (artifactTypeOf(manifest) === 'CHART') return config;
      const attrs: Record<string, unknown> = {};
      for (const key of ['architecture', 'os', 'os.version', 'variant', 'author', 'created', 'config']) if (config[key] !== undefined) attrs[key] = config[key];
      return attrs;
    } catch {
      return {};
    }
  }
}
