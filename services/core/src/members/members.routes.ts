import { Router } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { intParam, projectRefOf } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { memberSchema, memberView, roleSchema } from './member.schemas.js';
import type { MemberService } from './member.service.js';

/** `/api/v2.0/projects/{project_name_or_id}/members…` */
export function memberRoutes(deps: { members: MemberService }): Router {
  const router = Router();
  const { members } = deps;

  router.get('/projects/:project_name_or_id/members', async (req, res) => {
    const query = readListQuery({ page: req.query.page, page_size: req.query.page_size });
    const entityName = typeof req.query.entityname === 'string' ? req.query.entityname : undefined;
    const page = await members.list(principalOf(res), projectRefOf(req), entityName, query.page, query.pageSize);
    sendPage(req, res, page.items.map(memberView), page.total, query);
  });

  router.post('/projects/:project_name_or_id/members', async (req, res) => {
    const added = await members.add(principalOf(res), projectRefOf(req), validate(memberSchema, req.body));
    res.status(201).location(`${req.baseUrl}/projects/${added.projectId}/members/${added.id}`).end();
  });

  router.get('/projects/:project_name_or_id/members/:mid', async (req, res) => {
    res.json(memberView(await members.get(principalOf(res), projectRefOf(req), intParam(req, 'mid'))));
  });

  router.put('/projects/:project_name_or_id/members/:mid', async (req, res) => {
    await members.updateRole(principalOf(res), projectRefOf(req), intParam(req, 'mid'), validate(roleSchema, req.body).role_id);
    res.status(200).end();
  });

  router.delete('/projects/:project_name_or_id/members/:mid', async (req, res) => {
    await members.remove(principalOf(res), projectRefOf(req), intParam(req, 'mid'));
    res.status(200).end();
  });

  return router;
}
