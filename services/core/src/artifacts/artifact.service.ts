import { isValidTag, looksLikeDigest, parseDigest } from '@wharf/oci';
import type { AuditService } from '../audit/audit.service.js';
import type { ListQuery } from '../listing/list-query.js';
import type { ProjectService } from '../projects/project.service.js';
import { principalName, type Principal } from '../rbac/principal.js';
import type { RegistryClient } from '../registry/registry.client.js';
import { ArtifactInvalidError, ArtifactNotFoundError, TagExistsError, TagNotFoundError } from './artifact.errors.js';
import type { ArtifactRecord, ArtifactStore, TagRecord } from './artifact.store.js';
import type { ArtifactSyncService } from './artifact-sync.service.js';

export interface ArtifactServiceDeps {
  artifacts: ArtifactStore;
  projects: ProjectService;
  registry: RegistryClient;
  sync: ArtifactSyncService;
  audit: AuditService;
}

/** Artifacts and tags as Harbor's API shows them; changes go through the registry, then the projection follows. */
export class ArtifactService {
  readonly #deps: ArtifactServiceDeps;

  constructor(deps: ArtifactServiceDeps) {
    this.#deps = deps;
  }

  async list(principal: Principal, projectName: string, repository: string, query: ListQuery): Promise<{ items: ArtifactRecord[]; total: number }> {
    await this.#deps.projects.require(principal, { name: projectName }, 'artifact', 'list');
    return this.#deps.artifacts.list(`${projectName}/${repository}`, query);
  }

  async get(principal: Principal, projectName: string, repository: string, reference: string): Promise<ArtifactRecord> {
    await this.#deps.projects.require(principal, { name: projectName }, 'artifact', 'read');
    return this.#find(`${projectName}/${repository}`, reference);
  }

  async delete(principal: Principal, projectName: string, repository: string, reference: string): Promise<void> {
    const project = await this.#deps.projects.require(principal, { name: projectName }, 'artifact', 'delete');
    const name = `${projectName}/${repository}`;
    const artifact = await this.#find(name, reference);
    await this.#deps.registry.deleteManifest(name, artifact.digest);
    await this.#deps.sync.sync({ repository: name, digest: artifact.digest });
    await this.#deps.audit.record({ projectId: project.id, operation: 'delete', resourceType: 'artifact', resource: `${name}@${artifact.digest}`, username: principalName(principal) });
  }

  async listTags(principal: Principal, projectName: string, repository: string, reference: string, query: ListQuery): Promise<{ items: TagRecord[]; total: number }> {
    await this.#deps.projects.require(principal, { name: projectName }, 'tag', 'list');
    const artifact = await this.#find(`${projectName}/${repository}`, reference);
    const start = (query.page - 1) * query.pageSize;
    return { items: artifact.tags.slice(start, start + query.pageSize), total: artifact.tags.length };
  }

  async addTag(principal: Principal, projectName: string, repository: string, reference: string, tag: string): Promise<void> {
    const project = await this.#deps.projects.require(principal, { name: projectName }, 'tag', 'create');
    if (!isValidTag(tag)) throw new ArtifactInvalidError(`invalid tag ${JSON.stringify(tag)}`);
    const name = `${projectName}/${repository}`;
    const artifact = await this.#find(name, reference);
    if ((await this.#deps.artifacts.tagNames(name)).includes(tag)) throw new TagExistsError(tag);
    const manifest = await this.#deps.registry.getManifest(name, artifact.digest);
    if (!manifest) throw new ArtifactNotFoundError(name, reference);
    await this.#deps.registry.putManifest(name, tag, manifest);
    await this.#deps.sync.sync({ repository: name, tag });
    await this.#deps.audit.record({ projectId: project.id, operation: 'create', resourceType: 'tag', resource: `${name}:${tag}`, username: principalName(principal) });
  }

  async deleteTag(principal: Principal, projectName: string, repository: string, reference: string, tag: string): Promise<void> {
    const project = await this.#deps.projects.require(principal, { name: projectName }, 'tag', 'delete');
    const name = `${projectName}/${repository}`;
    const artifact = await this.#find(name, reference);
    if (!artifact.tags.some((t) => t.name === tag)) throw new TagNotFoundError(tag);
    await this.#deps.registry.deleteManifest(name, tag);
    await this.#deps.sync.sync({ repository: name, tag });
    await this.#deps.audit.record({ projectId: project.id, operation: 'delete', resourceType: 'tag', resource: `${name}:${tag}`, username: principalName(principal) });
  }

  /** Deletes every artifact of a repository from the registry and the projection (the caller checked access). */
  async deleteAllIn(repository: string): Promise<number> {
    const digests = await this.#deps.artifacts.digests(repository);
    for (const digest of digests) {
      await this.#deps.registry.deleteManifest(repository, digest);
      await this.#deps.artifacts.remove(repository, digest);
    }
    return digests.length;
  }

  async #find(repository: string, reference: string): Promise<ArtifactRecord> {
    const artifact = looksLikeDigest(reference)
      ? await this.#deps.artifacts.findByDigest(repository, parseDigest(reference).value)
      : await this.#deps.artifacts.findByTag(repository, reference);
    if (!artifact) throw new ArtifactNotFoundError(repository, reference);
    return artifact;
  }
}
