import { join } from 'node:path';
import { ensureDatabase } from '@wharf/db';
import { serviceNodeOptions } from './node-options.js';
import { startServiceProcess, type ServiceProcess } from './service-process.js';

export interface StackOptions {
  /** The repository root (where `services/` is). */
  rootDir: string;
  /** Where services keep files (blobs); reused by the next start. */
  dataDir: string;
  databaseUrl: string;
  host?: string;
  registryPort: number;
  /** Extra variables for every service (any service setting may be given). */
  env?: NodeJS.ProcessEnv;
  /** Service logs go to `<logDir>/<service>.log`; without it they go to stdout, prefixed. */
  logDir?: string;
}

export interface RunningStack {
  registryUrl: string;
  services: ServiceProcess[];
  stop(): Promise<void>;
}

/** Starts every service of the suite in dependency order, each after the previous is ready. */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const host = options.host ?? '127.0.0.1';
  await ensureDatabase(options.databaseUrl);
  const services: ServiceProcess[] = [];
  const registryUrl = `http://${host}:${options.registryPort}`;
  try {
    services.push(
      await startServiceProcess({
        name: 'registry-facade',
        entry: join(options.rootDir, 'services/registry-facade/dist/main.js'),
        nodeArgs: serviceNodeOptions['registry-facade'],
        readyUrl: `${registryUrl}/readyz`,
        logFile: options.logDir ? join(options.logDir, 'registry-facade.log') : undefined,
        env: {
          ...process.env,
          DATABASE_URL: options.databaseUrl,
          REGISTRY_HTTP_HOST: host,
          REGISTRY_HTTP_PORT: String(options.registryPort),
          REGISTRY_STORAGE_FILESYSTEM_ROOT: join(options.dataDir, 'registry'),
          ...options.env,
        },
      }),
    );
  } catch (error) {
    await Promise.all(services.map((service) => service.stop()));
    throw error;
  }
  return {
    registryUrl,
    services,
    stop: async () => {
      for (const service of [...services].reverse()) await service.stop();
    },
  };
}
