import { Router, type Request, type Response } from 'express';
import { PrepareRequestV1, RegistryRequestV1, ResourcesRequestV1 } from '@wharf/contracts';
import type { RegistryService } from './registry.service.js';

/** Harbor's registry endpoints, answered for core (the caller keeps the registries; we only reach them). */
export function registryRoutes(deps: { registries: RegistryService }): Router {
  const router = Router();
  const { registries } = deps;

  router.get('/api/v1/adapters', (_req: Request, res: Response) => {
    res.json(registries.adapters());
  });

  router.post('/api/v1/registries/health', async (req: Request, res: Response) => {
    const { registry } = RegistryRequestV1.parse(req.body);
    res.json(await registries.health(registry));
  });

  router.post('/api/v1/registries/info', async (req: Request, res: Response) => {
    const { registry } = RegistryRequestV1.parse(req.body);
    res.json(await registries.info(registry));
  });

  router.post('/api/v1/resources', async (req: Request, res: Response) => {
    const { registry, filters } = ResourcesRequestV1.parse(req.body);
    const controller = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) controller.abort(new Error('the caller hung up'));
    });
    res.json(await registries.resources(registry, filters, controller.signal));
  });

  router.post('/api/v1/registries/prepare', async (req: Request, res: Response) => {
    const { registry, resources } = PrepareRequestV1.parse(req.body);
    await registries.prepare(registry, resources);
    res.json({ prepared: resources.map((r) => r.metadata.repository.name) });
  });

  return router;
}
