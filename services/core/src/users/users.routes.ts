import { Router } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { intParam, queryString } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { passwordChangeSchema, sysadminSchema, userCreationSchema, userProfileSchema, userView } from './user.schemas.js';
import type { UserService } from './user.service.js';

/** `/api/v2.0/users…` */
export function userRoutes(deps: { users: UserService }): Router {
  const router = Router();
  const { users } = deps;

  router.get('/users', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await users.list(principalOf(res), query);
    sendPage(req, res, page.items.map(userView), page.total, query);
  });

  router.post('/users', async (req, res) => {
    const user = await users.create(principalOf(res), validate(userCreationSchema, req.body));
    res.status(201).location(`${req.baseUrl}/users/${user.id}`).end();
  });

  router.get('/users/current', async (_req, res) => {
    res.json(userView(await users.current(principalOf(res))));
  });

  router.get('/users/search', async (req, res) => {
    const query = readListQuery({ page: req.query.page, page_size: req.query.page_size });
    const page = await users.search(principalOf(res), queryString(req.query.username), query.page, query.pageSize);
    sendPage(req, res, page.items.map((u) => ({ user_id: u.id, username: u.username })), page.total, query);
  });

  router.get('/users/:user_id', async (req, res) => {
    res.json(userView(await users.get(principalOf(res), intParam(req, 'user_id'))));
  });

  router.put('/users/:user_id', async (req, res) => {
    await users.updateProfile(principalOf(res), intParam(req, 'user_id'), validate(userProfileSchema, req.body));
    res.status(200).end();
  });

  router.put('/users/:user_id/password', async (req, res) => {
    const body = validate(passwordChangeSchema, req.body);
    await users.changePassword(principalOf(res), intParam(req, 'user_id'), body.old_password, body.new_password);
    res.status(200).end();
  });

  router.put('/users/:user_id/sysadmin', async (req, res) => {
    await users.setSysadmin(principalOf(res), intParam(req, 'user_id'), validate(sysadminSchema, req.body).sysadmin_flag);
    res.status(200).end();
  });

  router.delete('/users/:user_id', async (req, res) => {
    await users.delete(principalOf(res), intParam(req, 'user_id'));
    res.status(200).end();
  });

  return router;
}
