import { Router } from 'express';
import { ApiError } from '@wharf/errors';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { projectRefOf, queryString } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { projectRequestSchema, projectView, summaryView } from './project.schemas.js';
import type { ProjectService } from './project.service.js';

function optionalBoolean(value: unknown): boolean | undefined {
  if (value === undefined || value === '') return undefined;
  if (value === 'true' || value === '1') return true;
  if (value === 'false' || value === '0') return false;
  throw new ApiError('BAD_REQUEST', { message: 'public must be true or false' });
}

/** `/api/v2.0/projects…` */
export function projectRoutes(deps: { projects: ProjectService }): Router {
  const router = Router();
  const { projects } = deps;

  // HEAD before GET: express would otherwise answer HEAD with the list route.
  router.head('/projects', async (req, res) => {
    const name = queryString(req.query.project_name);
    if (!name) throw new ApiError('BAD_REQUEST', { message: 'project_name is required' });
    res.status((await projects.nameTaken(principalOf(res), name)) ? 200 : 404).end();
  });

  router.get('/projects', async (req, res) => {
    const principal = principalOf(res);
    const query = readListQuery(req.query);
    const page = await projects.list(
      principal,
      {
        name: typeof req.query.name === 'string' ? req.query.name : undefined,
        public: optionalBoolean(req.query.public),
        owner: typeof req.query.owner === 'string' ? req.query.owner : undefined,
      },
      query,
    );
    const items = await Promise.all(page.items.map(async (project) => projectView(project, await projects.rolesOf(principal, project))));
    sendPage(req, res, items, page.total, query);
  });

  router.post('/projects', async (req, res) => {
    const project = await projects.create(principalOf(res), validate(projectRequestSchema, req.body));
    const byName = String(req.get('X-Resource-Name-In-Location') ?? '').toLowerCase() === 'true';
    res.status(201).location(`${req.baseUrl}/projects/${byName ? project.name : project.id}`).end();
  });

  router.get('/projects/:project_name_or_id', async (req, res) => {
    const principal = principalOf(res);
    const project = await projects.require(principal, projectRefOf(req));
    res.json(projectView(project, await projects.rolesOf(principal, project)));
  });

  router.put('/projects/:project_name_or_id', async (req, res) => {
    await projects.update(principalOf(res), projectRefOf(req), validate(projectRequestSchema, req.body));
    res.status(200).end();
  });

  router.delete('/projects/:project_name_or_id', async (req, res) => {
    await projects.delete(principalOf(res), projectRefOf(req));
    res.status(200).end();
  });

  router.get('/projects/:project_name_or_id/summary', async (req, res) => {
    const summary = await projects.summary(principalOf(res), projectRefOf(req));
    res.json(summaryView(summary.project, summary.members, summary.storageUsed));
  });

  return router;
}
