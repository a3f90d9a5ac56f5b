import { Router } from 'express';
import { sendPage } from '../http/pagination.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import type { ProjectService } from '../projects/project.service.js';
import { auditView } from './audit.schemas.js';
import type { AuditService } from './audit.service.js';

/** `/api/v2.0/audit-logs` and `/api/v2.0/projects/{project_name}/logs`. */
export function auditRoutes(deps: { audit: AuditService; projects: ProjectService }): Router {
  const router = Router();

  router.get('/audit-logs', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await deps.audit.list(principalOf(res), query);
    sendPage(req, res, page.items.map(auditView), page.total, query);
  });

  router.get('/projects/:project_name/logs', async (req, res) => {
    const query = readListQuery(req.query);
    const project = await deps.projects.require(principalOf(res), { name: req.params.project_name }, 'log', 'list');
    const page = await deps.audit.listForProject(project.id, query);
    sendPage(req, res, page.items.map(auditView), page.total, query);
  });

  return router;
}
