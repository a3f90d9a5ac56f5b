import { join } from 'node:path';
import { mkdir, readFile } from 'node:fs/promises';
import { replicasFromEnv, startStack, type Replicas, type RunningStack } from '@wharf/launcher';
import { createTestDatabase, createTestRedisNamespace, freePort, HarborClient, TestRegistryClient, type TestDatabase, type TestRedisNamespace } from '@wharf/testing';
import { ROOT_DIR } from './stack.js';
import { createTempDir, type TempDir } from './temp-dir.js';

export interface Suite {
  /** Where clients reach Wharf: the proxy. */
  url: string;
  /** The proxy's plain HTTP port (the same as `url` unless TLS is on, when it only redirects). */
  httpUrl: string;
  /** `127.0.0.1:<port>`, as image references name it. */
  host: string;
  registryUrl: string;
  /** core itself, behind the proxy (for internal endpoints such as /service/notifications). */
  coreUrl: string;
  /** jobservice, as the suite's services reach it (internal; `Authorization: Harbor-Secret`). */
  jobserviceUrl: string;
  /** The adapter service (internal; `Authorization: Harbor-Secret`). */
  adapterUrl: string;
  adminPassword: string;
  /** The Harbor API as admin. */
  admin: HarborClient;
  dir: string;
  db: TestDatabase;
  /** The suite's Redis and the prefix of every key it keeps there (jobservice's under `<prefix>jobservice:`). */
  redis: { url: string; prefix: string };
  stack: RunningStack;
  /** A registry client carrying a token the token service issued for `scopes` to these credentials (none: anonymous). */
  registryAs(credentials: { username: string; password: string } | undefined, scopes: readonly string[]): Promise<TestRegistryClient>;
  /** A service's log (every replica's, one after the other, when it runs several), or one replica's (`core-2`). */
  log(service: string): Promise<string>;
  stop(): Promise<void>;
}

export interface SuiteOptions {
  adminPassword?: string;
  env?: NodeJS.ProcessEnv;
  registryRoute?: 'core' | 'registry';
  /** Postgres, Redis and RabbitMQ of the test's own (see startPrivatePostgres & co.) instead of the machine's. */
  infrastructure?: { databaseUrl: string; redisUrl: string; amqpUrl?: string };
  /** Where the stack's supervisor reports a service that exited and came back (default: stdout). */
  report?: (line: string) => void;
  /**
   * Processes per service (see the launcher's `replicas`); default: what WHARF_REPLICAS and
   * WHARF_<SERVICE>_REPLICAS ask for, else one each.
   */
  replicas?: Replicas;
}

/**
 * The whole suite (proxy → core → registry-facade) started the way `npm start` starts it, on
 * free ports, with its own database, Redis key prefix and temp dir.
 */
export async function startSuite(label: string, options: SuiteOptions = {}): Promise<Suite> {
  const temp: TempDir = await createTempDir(label);
  const given = options.infrastructure;
  // Servers of the test's own (which it may restart) need no per-run database or key prefix clean-up.
  const db = given ? { url: given.databaseUrl, drop: async () => undefined } : await createTestDatabase(`suite_${label}`);
  const redis: TestRedisNamespace = given
    ? { url: given.redisUrl, prefix: `wharf-${label}:`, cleanup: async () => undefined }
    : await createTestRedisNamespace(label);
  const logDir = join(temp.path, 'logs');
  const dataDir = join(temp.path, 'data');
  await mkdir(dataDir, { recursive: true });
  const adminPassword = options.adminPassword ?? 'Wharf-Admin-2026';
  const corePort = await freePort();
  const proxyPort = await freePort();
  const jobservicePort = await freePort();
  const adapterPort = await freePort();
  let stack: RunningStack;
  try {
    stack = await startStack({
      rootDir: ROOT_DIR,
      dataDir,
      databaseUrl: db.url,
      registryPort: await freePort(),
      corePort,
      jobservicePort,
      adapterPort,
      proxyPort,
      registryRoute: options.registryRoute,
      redisUrl: redis.url,
      redisPrefix: redis.prefix,
      amqpUrl: given?.amqpUrl,
      report: options.report,
      replicas: options.replicas ?? replicasFromEnv(process.env),
      adminPassword,
      logDir,
      env: { LOG_LEVEL: 'info', ...options.env },
    });
  } catch (error) {
    await db.drop().catch(() => undefined);
    await redis.cleanup().catch(() => undefined);
    await temp.remove().catch(() => undefined);
    throw error;
  }
  const url = stack.url!;
  const admin = new HarborClient(url, { username: 'admin', password: adminPassword });
  return {
    url,
    httpUrl: `http://127.0.0.1:${proxyPort}`,
    host: new URL(url).host,
    registryUrl: stack.registryUrl,
    coreUrl: `http://127.0.0.1:${corePort}`,
    jobserviceUrl: `http://127.0.0.1:${jobservicePort}`,
    adapterUrl: `http://127.0.0.1:${adapterPort}`,
    adminPassword,
    admin,
    dir: temp.path,
    db,
    redis: { url: redis.url, prefix: redis.prefix },
    stack,
    async registryAs(credentials, scopes) {
      const client = credentials ? admin.as(credentials.username, credentials.password) : admin.anonymous();
      const issued = await client.token(scopes);
      if (issued.status !== 200) throw new Error(`token request answered ${issued.status}: ${issued.text}`);
      return new TestRegistryClient(url, { token: issued.body.token });
    },
    log: async (service) => {
      const names = stack.replicasOf(service);
      const logs = await Promise.all(names.map((name) => readFile(join(logDir, `${name}.log`), 'utf8').catch(() => '')));
      return logs.join('');
    },
    async stop() {
      await stack.stop();
      await db.drop().catch(() => undefined);
      await redis.cleanup().catch(() => undefined);
      await temp.remove();
    },
  };
}
