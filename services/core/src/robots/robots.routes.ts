import { Router } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { intParam } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { robotCreateSchema, robotSecretSchema, robotUpdateSchema, robotView } from './robot.schemas.js';
import type { RobotService } from './robot.service.js';

/** `/api/v2.0/robots…` */
export function robotRoutes(deps: { robots: RobotService }): Router {
  const router = Router();
  const { robots } = deps;

  router.get('/robots', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await robots.list(principalOf(res), query);
    sendPage(req, res, page.items.map((robot) => robotView(robot, robots.fullName(robot))), page.total, query);
  });

  router.post('/robots', async (req, res) => {
    const { robot, secret } = await robots.create(principalOf(res), validate(robotCreateSchema, req.body));
    res
      .status(201)
      .location(`${req.baseUrl}/robots/${robot.id}`)
      .json({ id: robot.id, name: robots.fullName(robot), secret, creation_time: robot.creationTime.toISOString(), expires_at: robot.expiresAt });
  });

  router.get('/robots/:robot_id', async (req, res) => {
    const robot = await robots.get(principalOf(res), intParam(req, 'robot_id'));
    res.json(robotView(robot, robots.fullName(robot)));
  });

  router.put('/robots/:robot_id', async (req, res) => {
    await robots.update(principalOf(res), intParam(req, 'robot_id'), validate(robotUpdateSchema, req.body));
    res.status(200).end();
  });

  router.patch('/robots/:robot_id', async (req, res) => {
    const secret = await robots.refreshSecret(principalOf(res), intParam(req, 'robot_id'), validate(robotSecretSchema, req.body ?? {}).secret);
    res.json({ secret });
  });

  router.delete('/robots/:robot_id', async (req, res) => {
    await robots.delete(principalOf(res), intParam(req, 'robot_id'));
    res.status(200).end();
  });

  return router;
}
