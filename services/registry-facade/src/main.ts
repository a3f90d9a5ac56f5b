import { createPublicKey, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTokenVerifier } from '@wharf/auth-token';
import { loadConfig } from '@wharf/config';
import { createPool, migrate, pingPool, SERVICE_POOL_IDLE_TIMEOUT_MS } from '@wharf/db';
import { createMetrics, listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import type { Express } from 'express';
import { createApp, routeLabel } from './app.js';
import { createTokenAuthenticator, openAccess } from './auth/authenticator.js';
import { PgBlobRepository } from './blobs/blob.repository.js';
import { BlobService } from './blobs/blob.service.js';
import { PgCatalogRepository } from './catalog/catalog.repository.js';
import { CatalogService } from './catalog/catalog.service.js';
import { configSchema, type Config } from './config.js';
import { EventNotifier } from './events/event-notifier.js';
import { PgEventOutbox } from './events/event.repository.js';
import { EventService } from './events/event.service.js';
import { PgManifestRepository } from './manifests/manifest.repository.js';
import { ManifestService } from './manifests/manifest.service.js';
import { PgReferrerRepository } from './referrers/referrer.repository.js';
import { ReferrerService } from './referrers/referrer.service.js';
import { withBaseDriver } from './storage/base-driver.js';
import { createStorageDriver } from './storage/registry.js';
import { PathNotFoundError } from './storage/storage-driver.js';
import { PgTagRepository } from './tags/tag.repository.js';
import { TagService } from './tags/tag.service.js';
import { PgUploadRepository } from './uploads/upload.repository.js';
import { UploadService } from './uploads/upload.service.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');

export interface Registry {
  app: Express;
  logger: Logger;
  uploads: UploadService;
  /** Listens, and starts event delivery and the upload purge. */
  start(): Promise<RunningServer>;
  /** Stops accepting requests, lets in-flight ones finish, stops background work, closes the pool. */
  close(): Promise<void>;
}

/** The composition root: config → logger → infrastructure → repositories → services → app. */
export async function createRegistry(config: Config, options: { logger?: Logger } = {}): Promise<Registry> {
  const logger = options.logger ?? createLogger({ service: 'registry-facade', level: config.log.level, format: config.log.format });
  logger.debug('configuration loaded', { config });

  if (config.db.migrate) {
    const applied = await migrate({
      url: config.db.url,
      schema: config.db.schema,
      dir: MIGRATIONS,
      onOutput: (line) => logger.debug('migration output', { line }),
    });
    if (applied.length > 0) logger.info('database migrated', { applied });
  }
  const pool = createPool({ url: config.db.url, schema: config.db.schema, max: config.db.poolMax, applicationName: 'registry-facade', idleTimeoutMs: SERVICE_POOL_IDLE_TIMEOUT_MS });
  const metrics = createMetrics({ service: 'registry-facade', routeLabel });
  const storage = withBaseDriver(createStorageDriver(config.storage), { logger, metrics: metrics.registry });

  // Pull events are written without waiting for the WAL flush, one statement per group.
  const lazyPool = createPool({ url: config.db.url, schema: config.db.schema, max: 2, applicationName: 'registry-facade-events', synchronousCommit: 'off' });
  const outbox = new PgEventOutbox({ pool, lazyPool });
  const events = new EventService({
    outbox,
    enabled: config.notifications !== undefined,
    source: { addr: `${hostname()}:${config.http.port}`, instanceID: randomUUID() },
  });
  const notifier = config.notifications
    ? new EventNotifier({ outbox, logger: logger.child({ component: 'events' }), metrics: metrics.registry, ...config.notifications })
    : undefined;

  const blobs = new BlobService({ blobs: new PgBlobRepository({ pool }), storage, deleteEnabled: config.deleteEnabled, logger });
  const uploads = new UploadService({ uploads: new PgUploadRepository({ db: pool }), blobs, storage, logger, ttlMs: config.uploads.ttlMs });
  const manifests = new ManifestService({
    manifests: new PgManifestRepository({ pool, outbox }),
    blobs,
    events,
    // Changes go out at once; pulls within 100 ms, together with the pulls that follow.
    onEventsQueued: (kind) => notifier?.notify(kind === 'pull' ? 100 : 0),
    maxSize: config.manifestMaxSize,
    deleteEnabled: config.deleteEnabled,
    logger,
  });

  const auth = config.auth;
  const authenticator =
    auth.mode === 'token'
      ? createTokenAuthenticator({
          realm: auth.realm,
          service: auth.service,
          logger,
          verifier: createTokenVerifier({
            issuer: auth.issuer,
            audience: auth.service,
            keys: auth.keys.source === 'jwks'
              ? { jwksUrl: auth.keys.jwksUrl }
              : { publicKey: createPublicKey(readFileSync(auth.keys.publicKeyFile, 'utf8')) },
          }),
        })
      : openAccess;

  let shuttingDown = false;
  const app = createApp({
    logger,
    metrics,
    readiness: [
      { name: 'postgres', check: () => pingPool(pool) },
      {
        // Reaches the store (an empty one has no /blobs yet, which is fine).
        name: 'storage',
        check: async () => {
          await storage.list('/blobs').catch((error: unknown) => {
            if (!(error instanceof PathNotFoundError)) throw error;
          });
        },
      },
    ],
    isShuttingDown: () => shuttingDown,
    authenticator,
    trustProxy: config.http.trustProxy,
    manifestMaxSize: config.manifestMaxSize,
    services: {
      blobs,
      uploads,
      manifests,
      tags: new TagService({ tags: new PgTagRepository({ pool }) }),
      catalog: new CatalogService({ catalog: new PgCatalogRepository({ pool }) }),
      referrers: new ReferrerService({ referrers: new PgReferrerRepository({ pool }) }),
    },
  });

  let server: RunningServer | undefined;
  let purge: NodeJS.Timeout | undefined;
  return {
    app,
    logger,
    uploads,
    async start() {
      notifier?.start();
      purge = setInterval(() => {
        uploads.purgeExpired().catch((error: unknown) => logger.warn('upload purge failed', { err: error }));
      }, config.uploads.purgeIntervalMs);
      purge.unref();
      server = await listen(app, { host: config.http.host, port: config.http.port, logger });
      logger.info('registry-facade started', {
        url: server.url,
        storage: config.storage.driver,
        auth: config.auth.mode,
        notifications: config.notifications?.url ?? null,
      });
      return server;
    },
    async close() {
      shuttingDown = true;
      clearInterval(purge);
      await server?.close(config.shutdownTimeoutMs);
      await notifier?.close();
      await lazyPool.end();
      await pool.end();
      await storage.close?.();
    },
  };
}

if (import.meta.main) {
  runService({ name: 'registry-facade', loadConfig: () => loadConfig(configSchema, process.env), create: createRegistry });
}
