import { validate } from '@wharf/http-kit';
import { Router, type Request, type Response } from 'express';
import { actionRequest, jobIdParam, launchRequest, pagingQuery } from './job.schemas.js';
import type { JobService } from './job.service.js';

/** Harbor's jobservice API (`/api/v1/jobs…`); thin: parse, call the service, shape the answer. */
export function jobRoutes(deps: { jobs: JobService }): Router {
  const router = Router();
  const { jobs } = deps;

  router.post('/api/v1/jobs', async (req: Request, res: Response) => {
    const body = validate(launchRequest, req.body);
    const job = await jobs.launch(body.job);
    res.status(202).json({ job });
  });

  router.get('/api/v1/jobs/:id', async (req: Request, res: Response) => {
    res.json({ job: await jobs.get(validate(jobIdParam, req.params.id)) });
  });

  router.post('/api/v1/jobs/:id', async (req: Request, res: Response) => {
    const { action } = validate(actionRequest, req.body);
    await jobs.act(validate(jobIdParam, req.params.id), action);
    res.status(204).end();
  });

  router.get('/api/v1/jobs/:id/log', async (req: Request, res: Response) => {
    const text = await jobs.log(validate(jobIdParam, req.params.id));
    res.type('text/plain').send(text);
  });

  router.get('/api/v1/jobs/:id/executions', async (req: Request, res: Response) => {
    const page = validate(pagingQuery, req.query);
    const { total, jobs: executions } = await jobs.executions(validate(jobIdParam, req.params.id), page);
    res.set('Total-Count', String(total)).json(executions);
  });

  return router;
}

/** `GET /api/v1/stats`: worker pools and dead letters; open, as Harbor's health check. */
export function statsRoutes(deps: { jobs: JobService }): Router {
  const router = Router();
  router.get('/api/v1/stats', async (_req: Request, res: Response) => {
    res.json(await deps.jobs.stats());
  });
  return router;
}
