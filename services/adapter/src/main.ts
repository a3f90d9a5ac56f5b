import { loadConfig } from '@wharf/config';
import { listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import type { Express } from 'express';
import { createApp } from './app.js';
import { createServices } from './compose.js';
import { configSchema, type Config } from './config.js';

export interface AdapterServer {
  app: Express;
  logger: Logger;
  start(): Promise<RunningServer>;
  close(): Promise<void>;
}

/** The composition root: config → logger → adapters → services → app. */
export function createAdapterServer(config: Config, options: { logger?: Logger } = {}): AdapterServer {
  const logger = options.logger ?? createLogger({ service: 'adapter', level: config.log.level, format: config.log.format });
  logger.debug('configuration loaded', { config });
  const services = createServices({ logger, registry: config.registry, copy: config.copy });
  let shuttingDown = false;
  const app = createApp({ logger, secret: config.secret.reveal(), isShuttingDown: () => shuttingDown, services });
  let server: RunningServer | undefined;
  return {
    app,
    logger,
    async start() {
      server = await listen(app, { host: config.http.host, port: config.http.port, logger });
      logger.info('adapter started', { url: server.url });
      return server;
    },
    async close() {
      shuttingDown = true;
      await server?.close(config.shutdownTimeoutMs);
      await services.close();
    },
  };
}

if (import.meta.main) {
  runService({ name: 'adapter', loadConfig: () => loadConfig(configSchema, process.env), create: createAdapterServer });
}
