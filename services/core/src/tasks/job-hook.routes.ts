import express, { Router, type NextFunction, type Request, type Response } from 'express';
import { ApiError } from '@wharf/errors';
import { validate } from '@wharf/http-kit';
import { principalOf } from '../http/security.js';
import type { TaskService } from './task.service.js';
import { jobHookSchema } from './tasks.schemas.js';

/** Only the suite's own services (`Authorization: Harbor-Secret …`) may post job hooks; checked before the body is read. */
function internalOnly(_req: Request, res: Response, next: NextFunction): void {
  if (principalOf(res).kind !== 'internal') throw new ApiError('UNAUTHORIZED', { message: 'job status hooks need the suite secret' });
  next();
}

/**
 * `POST /service/notifications/tasks/:taskId`: jobservice's status hooks (Harbor's
 * `/service/notifications/tasks/{id}`). Internal only; the proxy never routes
 * `/service/notifications` from outside. The task is found by the hook's job id, not the
 * path's id (as in Harbor). The body is read as JSON whatever its Content-Type (Harbor's
 * jobservice sets none). Answers 200 for an applied, ignored or checked-in hook (jobservice
 * stops sending it) and 404 while no task has the job id yet (jobservice sends it again).
 */
export function jobHookRoutes(deps: { tasks: Pick<TaskService, 'applyHook'> }): Router {
  const router = Router();
  router.post('/service/notifications/tasks/:taskId', internalOnly, express.json({ type: () => true, limit: '1mb' }), async (req, res) => {
    const outcome = await deps.tasks.applyHook(validate(jobHookSchema, req.body));
    res.status(200).json({ result: outcome.result, task_id: outcome.taskId, status: outcome.status, ...(outcome.reason ? { detail: outcome.reason } : {}) });
  });
  return router;
}
