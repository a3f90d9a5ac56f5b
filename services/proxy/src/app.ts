import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { ApiError } from '@wharf/errors';
import { matchRegistryPath, registryInputErrorCode } from '@wharf/oci';
import { errorMiddleware, healthRoutes, notFound, requestId, textGuard, type ReadinessCheck } from '@wharf/http-kit';
import { accessLog, type Logger } from '@wharf/logging';
import { portalRoutes } from './portal/portal.routes.js';
import type { RegistryAccess } from './routing/registry-access.js';
import { Balancer, type UpstreamTarget } from './routing/balancer.js';
import { blobDownload } from './routing/blob-download.js';
import { destinationOf, type RegistryRoute } from './routing/route-table.js';
import { upstreamProxy } from './routing/upstream-proxy.js';
import { carriesSizedBody, uploadRelay } from './routing/upload-relay.js';

export interface AppDeps {
  logger: Logger;
  readiness: readonly ReadinessCheck[];
  isShuttingDown?: () => boolean;
  externalUrl: string;
  /** Each upstream: one address, or a balancer over its replicas (started and closed by the caller). */
  upstreams: { core: string | Balancer; registry: string | Balancer };
  registryRoute: RegistryRoute;
  /** core's judgement of a request sent straight to registry-facade (registryRoute `registry`). */
  registryAccess?: RegistryAccess;
  scheme: 'http' | 'https';
  /** The blob store's filesystem root when this process shares registry-facade's disk. */
  blobFilesRoot?: string;
}

/**
 * `X-Wharf-*` headers are the suite's own between its services (the blob file handoff);
 * what a client sends under those names never reaches an upstream.
 */
function dropInternalHeaders(req: Request, _res: Response, next: NextFunction): void {
  for (const name of Object.keys(req.headers)) if (name.startsWith('x-wharf-')) delete req.headers[name];
  next();
}

/** The public entry: health, then every path to its upstream by the route table, the portal at `/`. */
export function createApp(deps: AppDeps): Express {
  if (deps.registryRoute === 'registry' && !deps.registryAccess) throw new Error("registryRoute 'registry' needs registryAccess: core judges every request sent straight to registry-facade");
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  const balancerOf = (name: string, upstream: string | Balancer) => (typeof upstream === 'string' ? new Balancer({ name, urls: [upstream], logger: deps.logger }) : upstream);
  const core = balancerOf('core', deps.upstreams.core);
  const registry = balancerOf('registry-facade', deps.upstreams.registry);
  const internalUrls = [...core.targets, ...registry.targets].map((target) => target.url);
  const proxies = {
    core: upstreamProxy({ name: 'core', balancer: core, externalUrl: deps.externalUrl, internalUrls, scheme: deps.scheme, logger: deps.logger }),
    registry: upstreamProxy({ name: 'registry-facade', balancer: registry, externalUrl: deps.externalUrl, internalUrls, scheme: deps.scheme, logger: deps.logger }),
  };
  const download = balancedDownload(registry, deps);
  const rewrite = (value: string): string => internalUrls.reduce((text, internal) => text.split(internal).join(deps.externalUrl), value);
  const upload = uploadRelay({ balancer: registry, scheme: deps.scheme, logger: deps.logger, rewrite });

  app.use(requestId());
  app.use(dropInternalHeaders);
  app.use(accessLog(deps.logger));
  // The services behind refuse the same; answering here keeps such requests off them (OCI codes on /v2).
  app.use(textGuard({ code: (problem, req) => (/^\/v2(\/|$)/i.test(req.path) ? registryInputErrorCode(req.path, problem) : 'BAD_REQUEST') }));
  app.use(healthRoutes({ checks: deps.readiness, isShuttingDown: deps.isShuttingDown }));
  app.use(async (req: Request, res: Response, next: NextFunction) => {
    switch (destinationOf(req.path, deps.registryRoute)) {
      case 'core':
        return proxies.core(req, res, next);
      case 'registry': {
        let decision;
        try {
          decision = await deps.registryAccess!(req, res);
        } catch (error) {
          deps.logger.error('registry access check failed', { err: error, path: req.path });
          throw new ApiError('UNAVAILABLE', { message: 'core is unavailable, try again' });
        }
        if (!decision.allowed) {
          res.status(decision.status).set(decision.headers).end(decision.body);
          return;
        }
        if (req.method === 'GET' && matchRegistryPath(req.path)?.route === 'blob') return download(req, res);
        if (carriesSizedBody(req)) return upload(req, res);
        return proxies.registry(req, res, next);
      }
      case 'internal':
        // Registry events and job hooks are for the suite's own services only.
        throw new ApiError('NOT_FOUND', { message: `no route for ${req.method} ${req.path}` });
      case 'invalid':
        throw new ApiError('BAD_REQUEST', { message: 'invalid path' });
      case 'portal':
      case 'unknown':
        next();
    }
  });
  app.use(portalRoutes(new URL(deps.externalUrl).host));
  app.use(notFound());
  // An error the proxy answers itself on /v2 carries the header registry clients look for, as the registry's own do.
  app.use(errorMiddleware({ logger: deps.logger, headers: (_error, req: Request) => (/^\/v2(\/|$)/i.test(req.path) ? { 'Docker-Distribution-API-Version': 'registry/2.0' } : undefined) }));
  return app;
}

/**
 * Blob downloads, one relay per facade replica; a download that failed before its answer
 * began (a refused connection, or a replica lost before the response head) goes to another
 * replica, each replica tried once.
 */
function balancedDownload(registry: Balancer, deps: AppDeps): (req: Request, res: Response) => void {
  const tried = new WeakMap<Request, UpstreamTarget[]>();
  const downloads = registry.targets.map((target) =>
    blobDownload({
      target: target.url,
      scheme: deps.scheme,
      logger: deps.logger,
      filesRoot: deps.blobFilesRoot,
      onFailedBeforeAnswer: (req, res, error, connected) => {
        if (registry.targets.length < 2) return false;
        if (!connected) registry.markDown(target, error);
        const failed = tried.get(req) ?? [];
        failed.push(target);
        tried.set(req, failed);
        const other = registry.another(failed);
        if (!other) return false;
        downloads[other.index]!(req, res);
        return true;
      },
    }),
  );
  if (downloads.length === 1) return downloads[0]!;
  return (req, res) => downloads[registry.pick().index]!(req, res);
}

/** With TLS on, the plain HTTP port only answers health checks and redirects everything else to HTTPS. */
export function createRedirectApp(deps: { logger: Logger; externalUrl: string }): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(requestId());
  app.use(healthRoutes({ checks: [] }));
  app.use((req: Request, res: Response) => {
    const target = new URL(deps.externalUrl);
    res.redirect(req.method === 'GET' || req.method === 'HEAD' ? 301 : 308, `${target.origin}${req.originalUrl}`);
  });
  return app;
}
