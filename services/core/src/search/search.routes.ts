import { Router } from 'express';
import { queryString } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { projectView } from '../projects/project.schemas.js';
import type { SearchService } from './search.service.js';

/** `/api/v2.0/search` and `/api/v2.0/statistics`. */
export function searchRoutes(deps: { search: SearchService }): Router {
  const router = Router();

  router.get('/search', async (req, res) => {
    const result = await deps.search.search(principalOf(res), queryString(req.query.q));
    res.json({
      project: result.projects.map((project) => projectView(project)),
      repository: result.repositories.map((repository) => ({
        project_id: repository.projectId,
        project_name: repository.projectName,
        project_public: repository.projectPublic,
        repository_name: repository.name,
        pull_count: repository.pullCount,
        artifact_count: repository.artifactCount,
      })),
    });
  });

  router.get('/statistics', async (_req, res) => {
    res.json(await deps.search.statistics(principalOf(res)));
  });

  return router;
}
