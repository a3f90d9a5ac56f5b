import express, { type Express, type Request } from 'express';
import { errorMiddleware, healthRoutes, notFound, requestId } from '@wharf/http-kit';
import { accessLog, type Logger } from '@wharf/logging';
import { mapAdapterError } from './http/errors.js';
import { requireHarborSecret } from './http/secret-auth.js';
import { registryRoutes } from './registries/registries.routes.js';
import type { RegistryService } from './registries/registry.service.js';
import { replicationRoutes } from './replication/replication.routes.js';
import type { ReplicationService } from './replication/replication.service.js';

export interface AppDeps {
  logger: Logger;
  secret: string;
  isShuttingDown?: () => boolean;
  services: { registries: RegistryService; replication: ReplicationService };
}

/** The adapter service's HTTP app. No I/O happens here; `main.ts` builds the dependencies. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const mapError = (error: unknown, _req: Request) => mapAdapterError(error);

  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(healthRoutes({ checks: [], isShuttingDown: deps.isShuttingDown }));
  app.use('/api', requireHarborSecret(deps.secret));
  app.use(express.json({ limit: '16mb' }));
  app.use(registryRoutes({ registries: deps.services.registries }));
  app.use(replicationRoutes({ replication: deps.services.replication, logger: deps.logger, mapError }));
  app.use(notFound());
  app.use(errorMiddleware({ logger: deps.logger, mapError }));
  return app;
}
