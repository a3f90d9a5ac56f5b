import express, { type Express, type Request } from 'express';
import { errorMiddleware, healthRoutes, notFound, requestId, textGuard, type Metrics, type ReadinessCheck } from '@wharf/http-kit';
import { accessLog, type Logger } from '@wharf/logging';
import { registryInputErrorCode } from '@wharf/oci';
import type { Authenticator } from './auth/authenticator.js';
import { blobRoutes } from './blobs/blobs.routes.js';
import type { BlobService } from './blobs/blob.service.js';
import { catalogRoutes } from './catalog/catalog.routes.js';
import type { CatalogService } from './catalog/catalog.service.js';
import { mapRegistryError } from './http/errors.js';
import { v2Router } from './http/router.js';
import { manifestRoutes } from './manifests/manifests.routes.js';
import type { ManifestService } from './manifests/manifest.service.js';
import { referrerRoutes } from './referrers/referrers.routes.js';
import type { ReferrerService } from './referrers/referrer.service.js';
import { tagRoutes } from './tags/tags.routes.js';
import type { TagService } from './tags/tag.service.js';
import { uploadRoutes } from './uploads/uploads.routes.js';
import type { UploadService } from './uploads/upload.service.js';

export interface AppDeps {
  logger: Logger;
  metrics: Metrics;
  readiness: readonly ReadinessCheck[];
  isShuttingDown?: () => boolean;
  authenticator: Authenticator;
  trustProxy: string;
  manifestMaxSize: number;
  services: {
    blobs: BlobService;
    uploads: UploadService;
    manifests: ManifestService;
    tags: TagService;
    catalog: CatalogService;
    referrers: ReferrerService;
  };
}

/** The registry's HTTP app. No I/O happens here; `main.ts` builds the dependencies. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.set('trust proxy', deps.trustProxy);

  const { services } = deps;
  const routes = [
    ...catalogRoutes({ catalog: services.catalog }),
    ...tagRoutes({ tags: services.tags }),
    ...manifestRoutes({ manifests: services.manifests, maxSize: deps.manifestMaxSize }),
    ...uploadRoutes({ uploads: services.uploads, blobs: services.blobs }),
    ...blobRoutes({ blobs: services.blobs }),
    ...referrerRoutes({ referrers: services.referrers }),
  ];

  app.use(requestId());
  app.use(accessLog(deps.logger));
  app.use(deps.metrics.middleware);
  // A path or query no route can read (NUL, malformed escapes, bytes that are not UTF-8) is refused once, with the OCI code of the part at fault.
  app.use(textGuard({ code: (problem, req) => registryInputErrorCode(req.path, problem) }));
  app.use(healthRoutes({ checks: deps.readiness, isShuttingDown: deps.isShuttingDown }));
  app.use(deps.metrics.routes);
  app.use(v2Router({ routes, authenticator: deps.authenticator }));
  app.use(notFound());
  app.use(
    errorMiddleware({
      logger: deps.logger,
      mapError: (error) => mapRegistryError(error),
      headers: (_error, req: Request) => (req.path.startsWith('/v2') ? { 'Docker-Distribution-API-Version': 'registry/2.0' } : undefined),
    }),
  );
  return app;
}

/** The metrics route label of a request: the registry route it matched. */
export function routeLabel(req: Request): string {
  return String(req.res?.locals.routeId ?? 'other');
}
