import { Router } from 'express';
import { validate } from '@wharf/http-kit';
import { sendPage } from '../http/pagination.js';
import { intParam, queryString } from '../http/params.js';
import { principalOf } from '../http/security.js';
import { readListQuery } from '../listing/list-query.js';
import { registryCreateSchema, registryPingSchema, registryUpdateSchema, registryView } from './registry.schemas.js';
import type { RegistryService } from './registry.service.js';

/** Harbor's RegistryInfo as its swagger declares it. */
function infoView(info: Awaited<ReturnType<RegistryService['info']>>) {
  return {
    type: info.type,
    description: info.description,
    supported_resource_filters: info.supported_resource_filters.map((f) => ({ type: f.type, style: f.style, values: f.values ?? [] })),
    supported_triggers: info.supported_triggers,
    ...(info.supported_copy_by_chunk !== undefined ? { supported_copy_by_chunk: info.supported_copy_by_chunk } : {}),
  };
}

/** `/api/v2.0/registries…` and `/api/v2.0/replication/adapters|adapterinfos` (system admins only). */
export function registryRoutes(deps: { registries: RegistryService }): Router {
  const router = Router();
  const { registries } = deps;

  router.get('/registries', async (req, res) => {
    const query = readListQuery(req.query);
    const page = await registries.list(principalOf(res), query, queryString(req.query.name) || undefined);
    sendPage(req, res, page.items.map(registryView), page.total, query);
  });
  router.post('/registries', async (req, res) => {
    const registry = await registries.create(principalOf(res), validate(registryCreateSchema, req.body));
    res.status(201).location(`${req.baseUrl}/registries/${registry.id}`).end();
  });
  // Before /registries/:id, which would take "ping" for an id.
  router.post('/registries/ping', async (req, res) => {
    await registries.ping(principalOf(res), validate(registryPingSchema, req.body));
    res.status(200).end();
  });
  router.get('/registries/:id', async (req, res) => {
    res.json(registryView(await registries.get(principalOf(res), intParam(req, 'id'))));
  });
  router.put('/registries/:id', async (req, res) => {
    await registries.update(principalOf(res), intParam(req, 'id'), validate(registryUpdateSchema, req.body));
    res.status(200).end();
  });
  router.delete('/registries/:id', async (req, res) => {
    await registries.delete(principalOf(res), intParam(req, 'id'));
    res.status(200).end();
  });
  router.get('/registries/:id/info', async (req, res) => {
    res.json(infoView(await registries.info(principalOf(res), intParam(req, 'id'))));
  });

  router.get('/replication/adapters', async (_req, res) => {
    res.json(await registries.adapterTypes(principalOf(res)));
  });
  router.get('/replication/adapterinfos', async (_req, res) => {
    res.json(await registries.adapterInfos(principalOf(res)));
  });
  return router;
}
