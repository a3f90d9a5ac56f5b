import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureDatabase } from '@wharf/db';
import { serviceNodeOptions } from './node-options.js';
import type { Replicas, ReplicatedService } from './replicas.js';
import { startServiceBalancer, type ServiceBalancer } from './service-balancer.js';
import { ensureStackSecrets } from './secrets.js';
import type { BackoffPolicy } from './restart-backoff.js';
import { startServiceProcess, type ServiceProcess, type ServiceProcessOptions } from './service-process.js';
import { Supervisor, type ServiceExit } from './supervisor.js';

export interface StackOptions {
  /** The repository root (where `services/` is). */
  rootDir: string;
  /** Where services keep files (blobs, secrets); reused by the next start. */
  dataDir: string;
  databaseUrl: string;
  host?: string;
  registryPort: number;
  /**
   * `suite` (default): registry-facade behind core, trusting core's tokens and sending it
   * registry events. `registry`: registry-facade alone, configured only by `env`.
   */
  services?: 'suite' | 'registry';
  corePort?: number;
  /** jobservice (suite only): Harbor's job API, on RabbitMQ. */
  jobservicePort?: number;
  /** The adapter (suite only): the one service that talks to foreign registries. */
  adapterPort?: number;
  amqpUrl?: string;
  /** The public entry (suite only); its address is what clients use. */
  proxyPort?: number;
  /** Where the proxy sends blob traffic: through `core`, or straight to `registry` after core's check (see docs/ARCHITECTURE.md). */
  registryRoute?: 'core' | 'registry';
  redisUrl?: string;
  redisPrefix?: string;
  adminPassword?: string;
  /** Extra variables for every service (any service setting may be given). */
  env?: NodeJS.ProcessEnv;
  /** Service logs go to `<logDir>/<service>.log`; without it they go to stdout, prefixed. */
  logDir?: string;
  /**
   * Where the supervisor's lines go (a service that exited and is restarted, a restart that
   * failed, a service back); default: stdout, prefixed `wharf: `.
   */
  report?: (line: string) => void;
  /** The waits before a service that died is started again (default 1 s doubling to 30 s, reset after a minute up). */
  restartBackoff?: BackoffPolicy;
  /**
   * How many processes of core, registry-facade, jobservice and the adapter to run (suite
   * only; default 1 each). A service with several replicas runs them as `<name>-1`, `<name>-2`,
   * … on ports of their own (logs `<name>-<n>.log`), each supervised on its own; its usual
   * address becomes a balancer in front of them, which the other services are given, and the
   * proxy is given the replicas' own addresses (see docs/ARCHITECTURE.md).
   */
  replicas?: Replicas;
}

export interface RunningStack {
  registryUrl: string;
  /** Where users and clients reach the suite: the proxy. */
  url: string | undefined;
  adminPassword: string | undefined;
  /** The current process of each service, in start order; a restarted service's entry is replaced. */
  services: ServiceProcess[];
  /**
   * Every exit the stack did not ask for (a crash, a kill -9 from outside), oldest first; the
   * supervisor restarted each of these services.
   */
  exits: ServiceExit[];
  /** The current process of one service (perhaps one that has just died and is being replaced). */
  service(name: string): ServiceProcess;
  /** The process names of a service: `[name]`, or `[name-1, name-2, …]` when it runs several replicas. */
  replicasOf(service: string): string[];
  /**
   * Resolves with the service's process once it is up and ready again, and is not `exceptPid`
   * (the pid of a process the caller has just killed).
   */
  waitUntilReady(name: string, options?: { exceptPid?: number; timeoutMs?: number }): Promise<ServiceProcess>;
  /**
   * Stops one service (SIGTERM, or SIGKILL as a crash with `kill`), keeps it down for `downMs`,
   * and starts it again as it was started (retried with backoff until ready), ready before this
   * resolves. The supervisor does not restart it meanwhile.
   */
  restart(name: string, options?: { kill?: boolean; downMs?: number }): Promise<ServiceProcess>;
  /** Ends supervision, then stops every service (last started first). */
  stop(): Promise<void>;
  /** Ends supervision and SIGKILLs every service (a second Ctrl-C). */
  kill(): Promise<void>;
}

/** The development password of `admin` when WHARF_ADMIN_PASSWORD is not set (Harbor's well-known default). */
export const DEVELOPMENT_ADMIN_PASSWORD = 'Harbor12345';

/** A port the OS says is free on `host` now. */
async function freePortOn(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise((resolve) => server.close(resolve));
  if (!address || typeof address === 'string') throw new Error('no free port');
  return address.port;
}

/** Where the proxy finds each replica of a service it balances itself. */
interface Placement {
  /** The service's address for the other services (the balancer when replicated). */
  url: string;
  /** The replicas, in order: process name and port. */
  replicas: { name: string; port: number; url: string }[];
}

/**
 * Starts every service of the suite in dependency order, each after the previous is ready,
 * and keeps them running: a service that exits on its own is started again (see Supervisor).
 */
export async function startStack(options: StackOptions): Promise<RunningStack> {
  const host = options.host ?? '127.0.0.1';
  await ensureDatabase(options.databaseUrl);
  const supervisor = new Supervisor({
    start: startServiceProcess,
    report: options.report ?? ((line) => void process.stdout.write(`wharf: ${line}\n`)),
    backoff: options.restartBackoff,
  });
  const services = supervisor.services;
  const registryUrl = `http://${host}:${options.registryPort}`;
  const suite = (options.services ?? 'suite') === 'suite';
  const coreUrl = `http://${host}:${options.corePort ?? 8081}`;
  const jobserviceUrl = `http://${host}:${options.jobservicePort ?? 8082}`;
  const adapterUrl = `http://${host}:${options.adapterPort ?? 8083}`;
  const plainUrl = `http://${host}:${options.proxyPort ?? 8080}`;
  // With TLS on, clients use HTTPS and the plain port only redirects (and answers health checks).
  const given = { ...process.env, ...options.env };
  const tlsPort = given.PROXY_TLS_CERT_FILE ? given.PROXY_HTTPS_PORT || '8443' : undefined;
  const publicUrl = given.PROXY_EXTERNAL_URL || (tlsPort ? `https://${host}:${tlsPort}` : plainUrl);
  const secrets = suite ? ensureStackSecrets(options.dataDir) : undefined;
  const adminPassword = suite ? options.adminPassword ?? DEVELOPMENT_ADMIN_PASSWORD : undefined;
  const logFile = (name: string) => (options.logDir ? join(options.logDir, `${name}.log`) : undefined);
  const common = { ...process.env, DATABASE_URL: options.databaseUrl };
  // The proxy reads blob downloads from the facade's disk, which it shares on one host.
  const registryRoot = options.env?.REGISTRY_STORAGE_FILESYSTEM_ROOT ?? join(options.dataDir, 'registry');
  const balancers: ServiceBalancer[] = [];
  const placements = new Map<string, Placement>();
  const place = async (name: ReplicatedService, url: string): Promise<Placement> => {
    const count = suite ? (options.replicas?.[name] ?? 1) : 1;
    const port = Number(new URL(url).port);
    const replicas =
      count === 1
        ? [{ name, port, url }]
        : await Promise.all(
            Array.from({ length: count }, async (_, i) => {
              const replicaPort = await freePortOn(host);
              return { name: `${name}-${i + 1}`, port: replicaPort, url: `http://${host}:${replicaPort}` };
            }),
          );
    const placement = { url, replicas };
    placements.set(name, placement);
    return placement;
  };
  /**
   * Starts every replica of a service (at once) and, with several, the balancer on the
   * service's address; `spec` gives one replica's process from its name, port and number.
   */
  const launchService = async (name: ReplicatedService, url: string, spec: (replica: { name: string; port: number; index: number }) => ServiceProcessOptions): Promise<void> => {
    const placement = await place(name, url);
    if (placement.replicas.length > 1) {
      balancers.push(
        await startServiceBalancer({
          name,
          host,
          port: Number(new URL(url).port),
          targets: placement.replicas.map((replica) => ({ host, port: replica.port, readyUrl: `${replica.url}/readyz` })),
        }),
      );
    }
    const started = await Promise.allSettled(
      placement.replicas.map(async (replica, index) => {
        const options = spec({ ...replica, index: index + 1 });
        supervisor.adopt(options, await startServiceProcess(options));
      }),
    );
    const failed = started.find((result): result is PromiseRejectedResult => result.status === 'rejected');
    if (failed) throw failed.reason;
  };
  const closeBalancers = async () => {
    await Promise.all(balancers.map((balancer) => balancer.close()));
  };
  try {
    await launchService('registry-facade', registryUrl, (replica) => ({
      name: replica.name,
      entry: join(options.rootDir, 'services/registry-facade/dist/main.js'),
      nodeArgs: serviceNodeOptions['registry-facade'],
      readyUrl: `http://${host}:${replica.port}/readyz`,
      logFile: logFile(replica.name),
      env: {
        ...common,
        REGISTRY_HTTP_HOST: host,
        REGISTRY_HTTP_PORT: String(replica.port),
        REGISTRY_STORAGE_FILESYSTEM_ROOT: registryRoot,
        ...(suite
          ? {
              REGISTRY_AUTH_MODE: 'token',
              REGISTRY_AUTH_TOKEN_REALM: `${publicUrl}/service/token`,
              REGISTRY_AUTH_TOKEN_JWKS_URL: `${coreUrl}/service/keys`,
              REGISTRY_NOTIFICATIONS_URL: `${coreUrl}/service/notifications`,
              REGISTRY_NOTIFICATIONS_SECRET: secrets!.secret,
            }
          : {}),
        ...options.env,
        ...(replica.name !== 'registry-facade' ? { REGISTRY_HTTP_PORT: String(replica.port) } : {}),
      },
    }));
    if (suite) {
      await launchService('core', coreUrl, (replica) => ({
        name: replica.name,
        entry: join(options.rootDir, 'services/core/dist/main.js'),
        readyUrl: `http://${host}:${replica.port}/readyz`,
        logFile: logFile(replica.name),
        env: {
          ...common,
          CORE_HTTP_HOST: host,
          CORE_HTTP_PORT: String(replica.port),
          CORE_EXTERNAL_URL: publicUrl,
          CORE_INTERNAL_URL: coreUrl,
          CORE_REGISTRY_URL: registryUrl,
          CORE_JOBSERVICE_URL: jobserviceUrl,
          CORE_ADAPTER_URL: adapterUrl,
          CORE_SECRET: secrets!.secret,
          CORE_ENCRYPTION_KEY: secrets!.encryptionKey,
          CORE_TOKEN_PRIVATE_KEY_FILE: secrets!.tokenKeyFile,
          CORE_TOKEN_KEY_GENERATE: 'true',
          WHARF_ADMIN_PASSWORD: adminPassword,
          ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          ...(options.redisPrefix ? { CORE_REDIS_PREFIX: options.redisPrefix } : {}),
          ...options.env,
          ...(replica.name !== 'core' ? { CORE_HTTP_PORT: String(replica.port) } : {}),
        },
      }));
      await launchService('adapter', adapterUrl, (replica) => ({
        name: replica.name,
        entry: join(options.rootDir, 'services/adapter/dist/main.js'),
        readyUrl: `http://${host}:${replica.port}/readyz`,
        logFile: logFile(replica.name),
        env: {
          ...common,
          ADAPTER_HTTP_HOST: host,
          ADAPTER_HTTP_PORT: String(replica.port),
          ADAPTER_SECRET: secrets!.secret,
          ...options.env,
          ...(replica.name !== 'adapter' ? { ADAPTER_HTTP_PORT: String(replica.port) } : {}),
        },
      }));
      await launchService('jobservice', jobserviceUrl, (replica) => ({
        name: replica.name,
        entry: join(options.rootDir, 'services/jobservice/dist/main.js'),
        readyUrl: `http://${host}:${replica.port}/readyz`,
        logFile: logFile(replica.name),
        env: {
          ...common,
          JOBSERVICE_HTTP_HOST: host,
          JOBSERVICE_HTTP_PORT: String(replica.port),
          // A worker pool per replica, kept across its restarts: a restarted replica takes back what its last process left at once.
          JOBSERVICE_WORKER_POOL_ID: replica.name,
          JOBSERVICE_SECRET: secrets!.secret,
          JOBSERVICE_LOG_DIR: join(options.dataDir, 'jobservice', 'logs'),
          JOBSERVICE_REGISTRY_URL: registryUrl,
          JOBSERVICE_ADAPTER_URL: adapterUrl,
          ...(options.amqpUrl ? { AMQP_URL: options.amqpUrl } : {}),
          ...(options.redisUrl ? { REDIS_URL: options.redisUrl } : {}),
          // One namespace per stack: keys and queues of two stacks on one Redis and RabbitMQ never meet.
          ...(options.redisPrefix ? { JOBSERVICE_REDIS_PREFIX: `${options.redisPrefix}jobservice:`, JOBSERVICE_QUEUE_PREFIX: options.redisPrefix } : {}),
          ...options.env,
          ...(replica.name !== 'jobservice' ? { JOBSERVICE_HTTP_PORT: String(replica.port) } : {}),
        },
      }));
      // The proxy balances core and registry-facade itself (health checks, retries), so it is given their replicas.
      const listOf = (name: ReplicatedService) => placements.get(name)!.replicas.map((replica) => replica.url);
      const coreUrls = listOf('core');
      const registryUrls = listOf('registry-facade');
      const proxySpec: ServiceProcessOptions = {
        name: 'proxy',
        entry: join(options.rootDir, 'services/proxy/dist/main.js'),
        nodeArgs: serviceNodeOptions.proxy,
        readyUrl: `${plainUrl}/readyz`,
        logFile: logFile('proxy'),
        env: {
          ...common,
          PROXY_HTTP_HOST: host,
          PROXY_HTTP_PORT: String(options.proxyPort ?? 8080),
          PROXY_EXTERNAL_URL: publicUrl,
          ...(coreUrls.length > 1 ? { PROXY_CORE_URL: undefined, PROXY_CORE_URLS: coreUrls.join(',') } : { PROXY_CORE_URL: coreUrl }),
          ...(registryUrls.length > 1 ? { PROXY_REGISTRY_URL: undefined, PROXY_REGISTRY_URLS: registryUrls.join(',') } : { PROXY_REGISTRY_URL: registryUrl }),
          PROXY_CORE_SECRET: secrets!.secret,
          PROXY_BLOB_FILES_ROOT: registryRoot,
          ...(options.registryRoute ? { PROXY_REGISTRY_ROUTE: options.registryRoute } : {}),
          ...options.env,
        },
      };
      supervisor.adopt(proxySpec, await startServiceProcess(proxySpec));
    }
  } catch (error) {
    // A service that failed to start stops the ones started before it.
    await supervisor.stop();
    await closeBalancers();
    throw error;
  }
  const replicaNames = (service: string): string[] => placements.get(service)?.replicas.map((replica) => replica.name) ?? [service];
  return {
    registryUrl,
    url: suite ? publicUrl : undefined,
    adminPassword,
    services,
    exits: supervisor.exits,
    service: (name) => supervisor.current(name),
    replicasOf: replicaNames,
    waitUntilReady: (name, how) => supervisor.waitUntilReady(name, how),
    restart: (name, how) => supervisor.restart(name, how),
    stop: async () => {
      await supervisor.stop();
      await closeBalancers();
    },
    kill: async () => {
      await supervisor.kill();
      await closeBalancers();
    },
  };
}
