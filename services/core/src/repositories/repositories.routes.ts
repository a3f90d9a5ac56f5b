import { Router } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { repositoryNameOf } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { repositoryUpdateSchema, repositoryView } from './repository.schemas.js';
import type { RepositoryService } from './repository.service.js';

/** `/api/v2.0/repositories` and `/api/v2.0/projects/{project_name}/repositories…` */
export function repositoryRoutes(deps: { repositories: RepositoryService }): Router {
  const router = Router();
  const { repositories } = deps;

  router.get('/repositories', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await repositories.listVisible(principalOf(res), query);
    sendPage(req, res, page.items.map(repositoryView), page.total, query);
  });

  router.get('/projects/:project_name/repositories', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await repositories.listInProject(principalOf(res), req.params.project_name, query);
    sendPage(req, res, page.items.map(repositoryView), page.total, query);
  });

  router.get('/projects/:project_name/repositories/:repository_name', async (req, res) => {
    res.json(repositoryView(await repositories.get(principalOf(res), req.params.project_name, repositoryNameOf(req))));
  });

  router.put('/projects/:project_name/repositories/:repository_name', async (req, res) => {
    const body = validate(repositoryUpdateSchema, req.body);
    await repositories.updateDescription(principalOf(res), req.params.project_name, repositoryNameOf(req), body.description ?? '');
    res.status(200).end();
  });

  router.delete('/projects/:project_name/repositories/:repository_name', async (req, res) => {
    await repositories.delete(principalOf(res), req.params.project_name, repositoryNameOf(req));
    res.status(200).end();
  });

  return router;
}
