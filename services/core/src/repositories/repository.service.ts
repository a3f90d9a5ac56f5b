import type { ArtifactService } from '../artifacts/artifact.service.js';
import type { AuditService } from '../audit/audit.service.js';
import type { ListQuery } from '../listing/list-query.js';
import type { ProjectService } from '../projects/project.service.js';
import { principalName, type Principal } from '../rbac/principal.js';
import { RepositoryNotFoundError } from './repository.errors.js';
import type { RepositoryRecord, RepositoryScope, RepositoryStore } from './repository.store.js';

export interface RepositoryServiceDeps {
  repositories: RepositoryStore;
  projects: ProjectService;
  artifacts: ArtifactService;
  audit: AuditService;
}

/** Repositories as Harbor's API shows them, and the /v2 catalog, both limited to what the caller may see. */
export class RepositoryService {
  readonly #deps: RepositoryServiceDeps;

  constructor(deps: RepositoryServiceDeps) {
    this.#deps = deps;
  }

  async scopeFor(principal: Principal): Promise<RepositoryScope> {
    switch (principal.kind) {
      case 'internal':
        return { kind: 'all' };
      case 'anonymous':
        return { kind: 'projects', projectIds: [], includePublic: true };
      case 'user':
        return principal.sysadmin ? { kind: 'all' } : { kind: 'projects', projectIds: await this.#deps.repositories.memberProjects(principal.id), includePublic: true };
      case 'robot': {
        const names = principal.permissions.filter((p) => p.kind === 'project').map((p) => p.namespace);
        if (names.includes('*')) return { kind: 'all' };
        return { kind: 'projects', projectIds: await this.#deps.repositories.projectIdsByName(names), includePublic: false };
      }
    }
  }

  async listInProject(principal: Principal, projectName: string, query: ListQuery): Promise<{ items: RepositoryRecord[]; total: number }> {
    const project = await this.#deps.projects.require(principal, { name: projectName }, 'repository', 'list');
    return this.#deps.repositories.list({ kind: 'all' }, query, project.id);
  }

  async listVisible(principal: Principal, query: ListQuery): Promise<{ items: RepositoryRecord[]; total: number }> {
    return this.#deps.repositories.list(await this.scopeFor(principal), query);
  }

  async get(principal: Principal, projectName: string, repository: string): Promise<RepositoryRecord> {
    await this.#deps.projects.require(principal, { name: projectName }, 'repository', 'read');
    const name = `${projectName}/${repository}`;
    const found = await this.#deps.repositories.find(name);
    if (!found) throw new RepositoryNotFoundError(name);
    return found;
  }

  async updateDescription(principal: Principal, projectName: string, repository: string, description: string): Promise<void> {
    await this.#deps.projects.require(principal, { name: projectName }, 'repository', 'update');
    const name = `${projectName}/${repository}`;
    if (!(await this.#deps.repositories.updateDescription(name, description))) throw new RepositoryNotFoundError(name);
  }

  /** Deletes the repository with every artifact in it, in the registry first. */
  async delete(principal: Principal, projectName: string, repository: string): Promise<void> {
    const project = await this.#deps.projects.require(principal, { name: projectName }, 'repository', 'delete');
    const name = `${projectName}/${repository}`;
    if (!(await this.#deps.repositories.find(name))) throw new RepositoryNotFoundError(name);
    await this.#deps.artifacts.deleteAllIn(name);
    await this.#deps.repositories.delete(name);
    await this.#deps.audit.record({ projectId: project.id, operation: 'delete', resourceType: 'repository', resource: name, username: principalName(principal) });
  }

  /** Repository names for /v2/_catalog, in byte order after `last`. */
  async catalog(principal: Principal, limit: number, last: string | undefined): Promise<string[]> {
    return this.#deps.repositories.names(await this.scopeFor(principal), limit, last);
  }

  async statistics(principal: Principal): Promise<{ publicRepos: number; privateRepos: number; storage: number }> {
    return this.#deps.repositories.statistics(await this.scopeFor(principal));
  }
}
