import { Router } from 'express';
import { principalOf } from '../http/security.js';
import type { SystemService } from './system.service.js';

/** `/api/v2.0/health`, `/ping`, `/systeminfo`. */
export function systemRoutes(deps: { system: SystemService }): Router {
  const router = Router();

  router.get('/health', async (_req, res) => {
    res.json(await deps.system.health());
  });

  router.get('/ping', (_req, res) => {
    res.type('text/plain').send('Pong');
  });

  router.get('/systeminfo', (_req, res) => {
    res.json(deps.system.generalInfo(principalOf(res)));
  });

  return router;
}
