import express, { Router } from 'express';
import { REGISTRY_ACCESS_PATH, RegistryAccessRequestV1 } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { validate } from '@wharf/http-kit';
import { principalOf } from '../http/security.js';
import { challengeOf, type V2GateService } from './v2-gate.service.js';

/**
 * `POST /service/internal/registry-access`: may this registry request go on? The proxy asks
 * before it sends a blob request straight to registry-facade, so the direct path keeps every
 * policy of core's /v2 gate. 204 when it may; otherwise the very answer the client would get
 * from core's /v2 (status, `{"errors":[…]}`, `WWW-Authenticate`), for the proxy to relay.
 * Internal only: the caller presents the suite's secret, and the proxy never routes this
 * from outside.
 */
export function registryAccessRoutes(deps: { gate: V2GateService }): Router {
  const router = Router();
  router.post(REGISTRY_ACCESS_PATH, express.json({ limit: '64kb' }), async (req, res) => {
    if (principalOf(res).kind !== 'internal') throw new ApiError('UNAUTHORIZED', { message: 'registry access checks need the suite secret' });
    const request = validate(RegistryAccessRequestV1, req.body);
    res.set('Docker-Distribution-API-Version', 'registry/2.0');
    try {
      const decision = await deps.gate.decide(request);
      // Only repository routes are served by another service; the gate answers `/v2/` and the catalog itself.
      if (!('repository' in decision)) throw new ApiError('NOT_FOUND', { message: `no route for ${request.method} ${request.path}` });
    } catch (error) {
      const challenge = challengeOf(error);
      if (challenge) res.set('WWW-Authenticate', challenge);
      throw error;
    }
    res.status(204).end();
  });
  return router;
}
