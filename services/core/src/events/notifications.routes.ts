import express, { Router } from 'express';
import { REGISTRY_EVENTS_MEDIA_TYPE, RegistryEventsV1 } from '@wharf/contracts';
import { ApiError } from '@wharf/errors';
import { validate } from '@wharf/http-kit';
import { principalOf } from '../http/security.js';
import type { EventService } from './event.service.js';

/**
 * `POST /service/notifications`: registry events from registry-facade. Internal only: the
 * caller must present the suite's secret, and the proxy never routes this path from outside.
 * Answers 200 with what was applied and, by id, the events that could not be (the sender
 * retries those only); a failure before any event was tried answers an error, and the
 * sender retries the whole batch.
 */
export function notificationRoutes(deps: { events: EventService }): Router {
  const router = Router();
  router.post(
    '/service/notifications',
    express.json({ type: ['application/json', REGISTRY_EVENTS_MEDIA_TYPE], limit: '8mb' }),
    async (req, res) => {
      if (principalOf(res).kind !== 'internal') throw new ApiError('UNAUTHORIZED', { message: 'registry events need the suite secret' });
      const { events } = validate(RegistryEventsV1, req.body);
      const result = await deps.events.apply(events);
      res.status(200).json(result);
    },
  );
  return router;
}
