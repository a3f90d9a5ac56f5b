import { errorMiddleware, healthRoutes, notFound, requestId, type ReadinessCheck } from '@wharf/http-kit';
import { accessLog, type Logger } from '@wharf/logging';
import express, { type Express } from 'express';
import { requireHarborSecret } from './http/auth.js';
import { mapJobserviceError } from './http/errors.js';
import { jobRoutes, statsRoutes } from './jobs/jobs.routes.js';
import type { JobService } from './jobs/job.service.js';

export interface AppDeps {
  logger: Logger;
  secret: string;
  readiness: readonly ReadinessCheck[];
  isShuttingDown?: () => boolean;
  jobs: JobService;
}

/** jobservice's HTTP app. No I/O happens here; `main.ts` builds the dependencies. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(healthRoutes({ checks: deps.readiness, isShuttingDown: deps.isShuttingDown }));
  app.use(statsRoutes({ jobs: deps.jobs }));
  app.use('/api', requireHarborSecret(deps.secret));
  app.use(express.json({ limit: '1mb' }));
  app.use(jobRoutes({ jobs: deps.jobs }));
  app.use(notFound());
  app.use(errorMiddleware({ logger: deps.logger, mapError: (error) => mapJobserviceError(error) }));
  return app;
}
