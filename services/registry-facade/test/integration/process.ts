import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serviceNodeOptions, startServiceProcess, type ServiceProcess } from '@wharf/launcher';
import { createTestDatabase, freePort, TestRegistryClient, type TestDatabase } from '@wharf/testing';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');

export interface FacadeProcess {
  url: string;
  client: TestRegistryClient;
  storageRoot: string;
  logFile: string;
  current(): ServiceProcess;
  /** Starts (or restarts) the built service on the same port, database and storage. */
  start(): Promise<void>;
  /** SIGKILL, as a crash. */
  kill(): Promise<void>;
  cleanup(): Promise<void>;
}

/** The built registry-facade (dist/main.js) as a real process, for crash and restart tests. */
export async function facadeProcess(env: Record<string, string> = {}): Promise<FacadeProcess> {
  const db: TestDatabase = await createTestDatabase('facade');
  const storageRoot = await mkdtemp(join(tmpdir(), 'wharf-facade-'));
  const logFile = join(storageRoot, '..', `${storageRoot.split('/').pop()}.log`);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  let process_: ServiceProcess | undefined;
  const start = async () => {
    process_ = await startServiceProcess({
      name: 'registry-facade',
      entry: ENTRY,
      nodeArgs: serviceNodeOptions['registry-facade'],
      readyUrl: `${url}/readyz`,
      logFile,
      env: {
        PATH: process.env.PATH,
        DATABASE_URL: db.url,
        REGISTRY_HTTP_PORT: String(port),
        REGISTRY_STORAGE_FILESYSTEM_ROOT: storageRoot,
        LOG_LEVEL: 'info',
        ...env,
      },
    });
  };
  await start();
  return {
    url,
    client: new TestRegistryClient(url),
    storageRoot,
    logFile,
    current: () => process_!,
    start,
    kill: async () => process_?.kill(),
    cleanup: async () => {
      await process_?.stop();
      await db.drop();
      await rm(storageRoot, { recursive: true, force: true });
      await rm(logFile, { force: true });
    },
  };
}
