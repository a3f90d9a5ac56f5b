import { readFileSync } from 'node:fs';
import type { Express } from 'express';
import { loadConfig } from '@wharf/config';
import { CoreClient, RegistryFacadeClient } from '@wharf/http-client';
import { listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import { createApp, createRedirectApp } from './app.js';
import { configSchema, type Config } from './config.js';
import { Balancer, isConnectionFailure } from './routing/balancer.js';
import { AccessCheckRefusedError, registryAccess, type RegistryAccess } from './routing/registry-access.js';

export interface Proxy {
  app: Express;
  logger: Logger;
  start(): Promise<RunningServer[]>;
  close(): Promise<void>;
}

/** One replica's /readyz, asked once through its service's client. */
const readiness = {
  core: (url: string) => new CoreClient({ baseUrl: url, timeoutMs: 2000, attempts: 1 }).ready(),
  registry: (url: string) => new RegistryFacadeClient({ baseUrl: url, timeoutMs: 2000, attempts: 1 }).ready(),
};

/** Ready when at least one replica of the upstream answers its /readyz. */
async function anyReachable(balancer: Balancer, ready: (url: string) => Promise<void>): Promise<void> {
  await Promise.any(balancer.targets.map((target) => ready(target.url)));
}

/** core's access checks, balanced over core's replicas: one that cannot be reached is ejected and the check asked of another. */
function balancedAccess(core: Balancer, secret: NonNullable<Config['coreSecret']>): RegistryAccess {
  const checks = core.targets.map((target) => registryAccess({ coreUrl: target.url, secret }));
  if (checks.length === 1) return checks[0]!;
  return async (req, res) => {
    const first = core.pick();
    try {
      return await checks[first.index]!(req, res);
    } catch (error) {
      if (error instanceof AccessCheckRefusedError || !isConnectionFailure(error)) throw error;
      core.markDown(first, error);
      const other = core.another([first]);
      if (!other) throw error;
      return checks[other.index]!(req, res);
    }
  };
}

/** The composition root: config → logger → app → listen (HTTPS with an HTTP redirect when TLS is on). */
export async function createProxy(config: Config, options: { logger?: Logger } = {}): Promise<Proxy> {
  const logger = options.logger ?? createLogger({ service: 'proxy', level: config.log.level, format: config.log.format });
  let shuttingDown = false;
  const interval = config.healthCheckIntervalMs;
  const core = new Balancer({ name: 'core', urls: config.upstreams.core, logger, checkIntervalMs: interval });
  const registry = new Balancer({ name: 'registry-facade', urls: config.upstreams.registry, logger, checkIntervalMs: interval });
  const app = createApp({
    logger,
    readiness: [
      { name: 'core', check: () => anyReachable(core, readiness.core) },
      { name: 'registry-facade', check: () => anyReachable(registry, readiness.registry) },
    ],
    isShuttingDown: () => shuttingDown,
    externalUrl: config.externalUrl,
    upstreams: { core, registry },
    blobFilesRoot: config.blobFilesRoot,
    registryRoute: config.registryRoute,
    registryAccess: config.coreSecret ? balancedAccess(core, config.coreSecret) : undefined,
    scheme: config.tls ? 'https' : 'http',
  });
  const servers: RunningServer[] = [];
  return {
    app,
    logger,
    async start() {
      core.start();
      registry.start();
      if (config.tls) {
        const tls = { cert: readFileSync(config.tls.certFile), key: readFileSync(config.tls.keyFile) };
        servers.push(await listen(app, { host: config.http.host, port: config.tls.port, logger, tls }));
        servers.push(await listen(createRedirectApp({ logger, externalUrl: config.externalUrl }), { host: config.http.host, port: config.http.port, logger }));
      } else {
        servers.push(await listen(app, { host: config.http.host, port: config.http.port, logger }));
      }
      logger.info('proxy started', { urls: servers.map((s) => s.url), externalUrl: config.externalUrl, registryRoute: config.registryRoute, core: config.upstreams.core, registry: config.upstreams.registry });
      return servers;
    },
    async close() {
      shuttingDown = true;
      core.close();
      registry.close();
      await Promise.all(servers.map((server) => server.close(config.shutdownTimeoutMs)));
    },
  };
}

if (import.meta.main) {
  runService({ name: 'proxy', loadConfig: () => loadConfig(configSchema, process.env), create: createProxy });
}
