import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { loadConfig } from '@wharf/config';
import { listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import { createApp, createRedirectApp } from './app.js';
import { configSchema, type Config } from './config.js';
import { registryAccess } from './routing/registry-access.js';

export interface Proxy {
  app: Express;
  logger: Logger;
  start(): Promise<RunningServer[]>;
  close(): Promise<void>;
}

async function reachable(url: string): Promise<void> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(2000) });
  await response.arrayBuffer();
  if (!response.ok) throw new Error(`answered ${response.status}`);
}

/** The composition root: config → logger → app → listen (HTTPS with an HTTP redirect when TLS is on). */
export async function createProxy(config: Config, options: { logger?: Logger } = {}): Promise<Proxy> {
  const logger = options.logger ?? createLogger({ service: 'proxy', level: config.log.level, format: config.log.format });
  let shuttingDown = false;
  const app = createApp({
    logger,
    readiness: [
      { name: 'core', check: () => reachable(config.upstreams.core) },
      { name: 'registry-facade', check: () => reachable(config.upstreams.registry) },
    ],
    isShuttingDown: () => shuttingDown,
    externalUrl: config.externalUrl,
    upstreams: config.upstreams,
    blobFilesRoot: config.blobFilesRoot,
    registryRoute: config.registryRoute,
    registryAccess: config.coreSecret ? registryAccess({ coreUrl: config.upstreams.core, secret: config.coreSecret }) : undefined,
    scheme: config.tls ? 'https' : 'http',
  });
  const servers: RunningServer[] = [];
  return {
    app,
    logger,
    async start() {
      if (config.tls) {
        const tls = { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
        servers.push(await listen(app, { host: config.http.host, port: config.tls.port, logger, tls }));
        servers.push(await listen(createRedirectApp({ logger, externalUrl: config.externalUrl }), { host: config.http.host, port: config.http.port, logger }));
      } else {
        servers.push(await listen(app, { host: config.http.host, port: config.http.port, logger }));
      }
      logger.info('proxy started', { urls: servers.map((s) => s.url), externalUrl: config.externalUrl, registryRoute: config.registryRoute });
      return servers;
    },
    async close() {
      shuttingDown = true;
      await Promise.all(servers.map((server) => server.close(config.shutdownTimeoutMs)));
    },
  };
}

if (import.meta.main) {
  runService({ name: 'proxy', loadConfig: () => loadConfig(configSchema, process.env), create: createProxy });
}
