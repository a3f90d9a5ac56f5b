import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startStack, type RunningStack } from '../../tools/launcher/dist/index.js';
import { createTestDatabase, createTestRedisNamespace, freePort, HarborClient } from '../../packages/testing/dist/index.js';

/** The whole suite, started as `npm start` starts it, on a throwaway database and Redis key prefix. */
export interface RunningWharf {
  /** The public entry: the proxy. */
  url: string;
  /** registry-facade on its own port. */
  registryUrl: string;
  /** The Harbor API as admin. */
  admin: HarborClient;
  adminPassword: string;
  /** The throwaway database's name (Postgres backends name it in their process title). */
  databaseName: string;
  /** Every service the stack started, with its pid. */
  services: { name: string; pid: number }[];
  logDir: string;
  stack: RunningStack;
  stop(): Promise<void>;
}

/**
 * proxy → core → registry-facade through the launcher's startStack (the services' output is
 * relayed by this process into `<dir>/logs/<service>.log`, as startStack does), with a fresh
 * database (dropped by stop()), its own Redis key prefix (deleted by stop()) and its data in
 * `dir`, so the user's own data is never touched.
 */
export async function startWharf(options: { rootDir: string; dir: string; logLevel: string; adminPassword: string; registryRoute?: 'core' | 'registry' }): Promise<RunningWharf> {
  const database = await createTestDatabase('bench_suite');
  const redis = await createTestRedisNamespace('bench');
  const logDir = join(options.dir, 'logs');
  const dataDir = join(options.dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  let stack: RunningStack;
  try {
    stack = await startStack({
      rootDir: options.rootDir,
      dataDir,
      databaseUrl: database.url,
      registryPort: await freePort(),
      corePort: await freePort(),
      jobservicePort: await freePort(),
      adapterPort: await freePort(),
      proxyPort: await freePort(),
      registryRoute: options.registryRoute,
      redisUrl: redis.url,
      redisPrefix: redis.prefix,
      adminPassword: options.adminPassword,
      logDir,
      env: { LOG_LEVEL: options.logLevel },
    });
  } catch (error) {
    await database.drop().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    throw error;
  }
  const url = stack.url!;
  return {
    url,
    registryUrl: stack.registryUrl,
    admin: new HarborClient(url, { username: 'admin', password: options.adminPassword }),
    adminPassword: options.adminPassword,
    databaseName: decodeURIComponent(new URL(database.url).pathname.slice(1)),
    services: stack.services.map((service) => ({ name: service.name, pid: service.pid })),
    logDir,
    stack,
    stop: async () => {
      try {
        await stack.stop();
      } finally {
        await database.drop().catch(() => undefined);
        await redis.cleanup().catch(() => undefined);
      }
    },
  };
}
