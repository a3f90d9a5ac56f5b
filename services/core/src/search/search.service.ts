import type { ProjectRecord } from '../projects/project.store.js';
import type { ProjectService } from '../projects/project.service.js';
import { UnauthenticatedError } from '../rbac/access.errors.js';
import type { Principal } from '../rbac/principal.js';
import type { RepositoryRecord } from '../repositories/repository.store.js';
import type { RepositoryService } from '../repositories/repository.service.js';

const SEARCH_LIMIT = 100;

/** Global search and statistics over what the caller may see. */
export class SearchService {
  readonly #deps: { projects: ProjectService; repositories: RepositoryService };

  constructor(deps: { projects: ProjectService; repositories: RepositoryService }) {
    this.#deps = deps;
  }

  async search(principal: Principal, term: string): Promise<{ projects: ProjectRecord[]; repositories: RepositoryRecord[] }> {
    const page = { conditions: [], sort: [], page: 1, pageSize: SEARCH_LIMIT };
    const [projects, repositories] = await Promise.all([
      this.#deps.projects.list(principal, { name: term }, page),
      this.#deps.repositories.listVisible(principal, { ...page, conditions: term ? [{ key: 'name', kind: 'fuzzy', value: term }] : [] }),
    ]);
    return { projects: projects.items, repositories: repositories.items };
  }

  async statistics(principal: Principal) {
    if (principal.kind === 'anonymous') throw new UnauthenticatedError();
    const count = async (isPublic: boolean) => (await this.#deps.projects.list(principal, { public: isPublic }, { conditions: [], sort: [], page: 1, pageSize: 1 })).total;
    const [publicProjects, privateProjects, repositories] = await Promise.all([count(true), count(false), this.#deps.repositories.statistics(principal)]);
    return {
      private_project_count: privateProjects,
      private_repo_count: repositories.privateRepos,
      public_project_count: publicProjects,
      public_repo_count: repositories.publicRepos,
      total_project_count: publicProjects + privateProjects,
      total_repo_count: repositories.publicRepos + repositories.privateRepos,
      total_storage_consumption: repositories.storage,
    };
  }
}
