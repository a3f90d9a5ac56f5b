import { createServer, type Server } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { RequestListener } from 'node:http';
import { ConfigError } from '@wharf/config';
import type { Logger } from '@wharf/logging';
import { installProcessGuards } from './process-guards.js';

export interface ListenOptions {
  host: string;
  port: number;
  logger: Logger;
  /** Time between the first byte of a request and its complete headers. */
  headersTimeoutMs?: number;
  /** Idle time on a keep-alive connection; above common load balancer idle timeouts. */
  keepAliveTimeoutMs?: number;
  /** Serve HTTPS with this certificate chain and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
}

export interface RunningServer {
  server: Server;
  /** The port actually bound (useful with port 0). */
  port: number;
  url: string;
  /** Stops accepting connections, lets in-flight requests finish, then closes what remains. */
  close(deadlineMs?: number): Promise<void>;
}

/**
 * Listens with timeouts that suit a registry: no limit on the whole request (a multi-GiB
 * layer upload takes as long as it takes), a bounded wait for headers, and keep-alive
 * longer than common load balancer idle timeouts.
 */
export async function listen(handler: RequestListener, options: ListenOptions): Promise<RunningServer> {
  const server: Server = options.tls ? createTlsServer({ cert: options.tls.cert, key: options.tls.key }, handler) : createServer(handler);
  server.requestTimeout = 0;
  server.headersTimeout = options.headersTimeoutMs ?? 60_000;
  server.keepAliveTimeout = options.keepAliveTimeoutMs ?? 75_000;
  server.timeout = 0;

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const url = `${options.tls ? 'https' : 'http'}://${host}:${address.port}`;
  options.logger.info('server listening', { url });

  let closing: Promise<void> | undefined;
  const close = (deadlineMs = 10_000): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        options.logger.warn('shutdown deadline reached, closing open connections', { deadlineMs });
        server.closeAllConnections();
      }, deadlineMs);
      timer.unref();
      server.close(() => {
        clearTimeout(timer);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return { server, port: address.port, url, close };
}

/**
 * Runs `shutdown` once on SIGTERM or SIGINT, then exits; a second signal or the hard
 * deadline exits at once.
 */
export function onShutdownSignal(logger: Logger, shutdown: () => Promise<void>, hardDeadlineMs = 30_000): void {
  let started = false;
  const handler = (signal: NodeJS.Signals): void => {
    if (started) {
      logger.warn('second signal, exiting now', { signal });
      process.exit(1);
    }
    started = true;
    logger.info('shutting down', { signal });
    const hard = setTimeout(() => {
      logger.error('shutdown took too long, exiting', { hardDeadlineMs });
      process.exit(1);
    }, hardDeadlineMs);
    hard.unref();
    shutdown().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error('shutdown failed', { err: error });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
}

/** What `runService` starts: a service's composition root, built from its configuration. */
export interface RunnableService {
  logger: Logger;
  start(): Promise<unknown>;
  close(): Promise<void>;
}

/**
 * A service's `main`: loads its configuration (a bad setting exits with status 2, naming
 * it, before anything is opened), builds and starts the service, and on SIGTERM/SIGINT
 * closes it within its shutdown timeout plus `marginMs`. A failure to start exits 1. An error
 * nothing handled is logged; only a bug ends the process (see process-guards.ts).
 */
export function runService<C extends { shutdownTimeoutMs: number }>(options: {
  name: string;
  loadConfig: () => C;
  create: (config: C) => RunnableService | Promise<RunnableService>;
  marginMs?: number;
}): void {
  const main = async (): Promise<void> => {
    let config: C;
    try {
      config = options.loadConfig();
    } catch (error) {
      if (error instanceof ConfigError) {
        process.stderr.write(`${options.name}: ${error.message}\n`);
        process.exit(2);
      }
      throw error;
    }
    const service = await options.create(config);
    installProcessGuards({ logger: service.logger });
    await service.start();
    onShutdownSignal(
      service.logger,
      async () => {
        await service.close();
        service.logger.info('service stopped', { service: options.name });
      },
      config.shutdownTimeoutMs + (options.marginMs ?? 5000),
    );
  };
  main().catch((error: unknown) => {
    process.stderr.write(`${options.name} failed to start: ${(error as Error).stack ?? String(error)}\n`);
    process.exit(1);
  });
}
