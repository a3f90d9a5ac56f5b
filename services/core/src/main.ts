import { generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Express } from 'express';
import { Redis } from 'ioredis';
import { signingKeyFromPem } from '@wharf/auth-token';
import { loadConfig } from '@wharf/config';
import { createPool, migrate, pingPool, SERVICE_POOL_IDLE_TIMEOUT_MS } from '@wharf/db';
import { RegistryFacadeClient } from '@wharf/http-client';
import { createMetrics, listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import { createApp } from './app.js';
import { ArtifactSyncService } from './artifacts/artifact-sync.service.js';
import { PgProjectionGuard } from './artifacts/projection-guard.js';
import { HttpJobServiceClient } from './jobs/jobservice.client.js';
import { PgArtifactStore } from './artifacts/artifact.store.js';
import { ArtifactService } from './artifacts/artifact.service.js';
import { PgAuditStore } from './audit/audit.store.js';
import { AuditService } from './audit/audit.service.js';
import { configSchema, type Config } from './config.js';
import { PgEventRepository } from './events/event.repository.js';
import { EventService } from './events/event.service.js';
import { PgMemberStore } from './members/member.store.js';
import { MemberService } from './members/member.service.js';
import { ProjectChanges } from './projects/project-changes.js';
import { ProjectGateCache } from './projects/project-gate.cache.js';
import { PgProjectStore } from './projects/project.store.js';
import { ProjectService } from './projects/project.service.js';
import { principalName } from './rbac/principal.js';
import { RbacService } from './rbac/rbac.service.js';
import { RegistryClient } from './registry/registry.client.js';
import { AesGcmCredentialCipher } from './registries/credential-cipher.js';
import { PgRegistryEndpointStore } from './registries/registry-endpoint.store.js';
import { RegistryService } from './registries/registry.service.js';
import { HttpAdapterClient } from './replication/adapter.client.js';
import { DryRunService } from './replication/dry-run.service.js';
import { ReplicationEventTrigger } from './replication/event-trigger.service.js';
import { PgPolicyStore } from './replication/policy.store.js';
import { PolicyService } from './replication/policy.service.js';
import { ReplicationService } from './replication/replication.service.js';
import { PgScheduleStore } from './replication/schedule.store.js';
import { ReplicationScheduler } from './replication/schedule.service.js';
import { PgRepositoryStore } from './repositories/repository.store.js';
import { RepositoryService } from './repositories/repository.service.js';
import { PgRobotStore } from './robots/robot.store.js';
import { RobotService } from './robots/robot.service.js';
import { SearchService } from './search/search.service.js';
import { LoginService } from './sessions/login.service.js';
import { RedisSessionStore } from './sessions/session.store.js';
import { SystemService } from './system/system.service.js';
import { createCheckInProcessors, createStatusListeners, type ReplicationHookHandlers } from './tasks/check-in.registry.js';
import { PgExecutionStore } from './tasks/execution.store.js';
import { ExecutionService } from './tasks/execution.service.js';
import { PgTaskStore } from './tasks/task.store.js';
import { TaskReconciler } from './tasks/task-reconcile.service.js';
import { TaskService } from './tasks/task.service.js';
import { TokenService } from './tokens/token.service.js';
import { ScryptPasswordHasher, type PasswordHasher } from './users/password-hasher.js';
import { PgUserStore } from './users/user.store.js';
import { UserService } from './users/user.service.js';
import { ManifestReadCache } from './v2-gate/manifest-read.cache.js';
import { PullRecorder } from './v2-gate/pull-recorder.js';
import { V2GateService } from './v2-gate/v2-gate.service.js';
import { PgScanSummaryStore } from './vulnerabilities/scan-summary.store.js';
import { VulnerabilityPolicyService } from './vulnerabilities/vulnerability-policy.service.js';

const MIGRATIONS = join(dirname(fileURLToPath(import.meta.url)), '..', 'migrations');
export const VERSION = 'v2.13.0-wharf';

export interface Core {
  app: Express;
  logger: Logger;
  /** Resolves once the replication work started so far (flows, event triggers) is done. */
  replicationIdle(): Promise<void>;
  start(): Promise<RunningServer>;
  close(): Promise<void>;
}

/** The composition root: config → logger → infrastructure → repositories → services → app. */
export async function createCore(config: Config, options: { logger?: Logger; hasher?: PasswordHasher } = {}): Promise<Core> {
  const logger = options.logger ?? createLogger({ service: 'core', level: config.log.level, format: config.log.format });
  logger.debug('configuration loaded', { config });

  if (config.db.migrate) {
    const applied = await migrate({ url: config.db.url, schema: config.db.schema, dir: MIGRATIONS, onOutput: (line) => logger.debug('migration output', { line }) });
    if (applied.length > 0) logger.info('database migrated', { applied });
  }
  const pool = createPool({ url: config.db.url, schema: config.db.schema, max: config.db.poolMax, applicationName: 'core', idleTimeoutMs: SERVICE_POOL_IDLE_TIMEOUT_MS });
  const redis = new Redis(config.redis.url, { lazyConnect: true, maxRetriesPerRequest: 3, connectTimeout: 5000, commandTimeout: 5000 });
  redis.on('error', (error: Error) => logger.warn('redis connection problem', { err: error }));
  await redis.connect();
  const metrics = createMetrics({ service: 'core' });
  if (config.token.generateKey) ensureKeyFile(config.token.privateKeyFile, logger);
  const key = await signingKeyFromPem(readFileSync(config.token.privateKeyFile, 'utf8'));
  const hasher = options.hasher ?? new ScryptPasswordHasher();

  const members = new PgMemberStore({ pool });
  const rbac = new RbacService({ members });
  const auditStore = new PgAuditStore({ pool });
  const audit = new AuditService({ audit: auditStore });
  const users = new UserService({ users: new PgUserStore({ pool }), hasher, logger, selfRegistration: config.selfRegistration, robotNamePrefix: config.robotNamePrefix });
  const projectStore = new PgProjectStore({ pool });
  const projectChanges = new ProjectChanges({ redis, prefix: config.redis.prefix, logger });
  const projectGateCache = new ProjectGateCache({ load: (name) => projectStore.findGateInfo(name), ttlMs: 10_000, maxEntries: 10_000 });
  projectChanges.listen(projectGateCache);
  await projectChanges.start();
  const projects = new ProjectService({
    projects: projectStore,
    gate: { cache: projectGateCache, changes: projectChanges },
    rbac,
    audit,
    creationRestriction: config.projectCreationRestriction,
    logger,
    principalName,
  });
  const robots = new RobotService({ robots: new PgRobotStore({ pool }), projects, hasher, logger, namePrefix: config.robotNamePrefix });
  const login = new LoginService({
    users,
    robots,
    sessions: new RedisSessionStore({ redis, prefix: config.redis.prefix }),
    hasher,
    logger,
    robotNamePrefix: config.robotNamePrefix,
    maxFailures: config.login.maxFailures,
    maxAddressFailures: config.login.maxAddressFailures,
    lockoutMs: config.login.lockoutMs,
    sessionTtlMs: config.sessions.ttlMs,
  });
  const tokens = new TokenService({
    key,
    issuer: config.token.issuer,
    service: config.token.service,
    ttlSeconds: config.token.ttlSeconds,
    refreshTtlSeconds: config.token.refreshTtlSeconds,
    projects,
    rbac,
    users,
    robots,
  });
  // Every change to a repository's manifests or tags made through this core is announced to every replica's read cache.
  const manifestReads = new ManifestReadCache();
  const repositoryChanges = new ProjectChanges({ redis, prefix: config.redis.prefix, logger, topic: 'repository-changed' });
  repositoryChanges.listen(manifestReads);
  await repositoryChanges.start();
  const registry = new RegistryClient({
    baseUrl: config.registry.url,
    timeoutMs: config.registry.timeoutMs,
    token: (repository, actions) => tokens.internalToken(repository, actions),
    onChange: (repository) => repositoryChanges.announce(repository),
  });
  const artifactStore = new PgArtifactStore({ pool });
  const sync = new ArtifactSyncService({ registry, artifacts: artifactStore, projects, logger, guard: new PgProjectionGuard({ pool }) });
  const artifacts = new ArtifactService({ artifacts: artifactStore, projects, registry, sync, audit });
  const repositories = new RepositoryService({ repositories: new PgRepositoryStore({ pool }), projects, artifacts, audit });
  // Replication is built after the task framework, which delivers its hooks: these two
  // are bound to it once it exists (before the server listens).
  const late: { replication?: ReplicationService; trigger?: ReplicationEventTrigger } = {};
  const wired = (): ReplicationService => {
    if (!late.replication) throw new Error('replication is not wired yet');
    return late.replication;
  };
  const replicationHooks: ReplicationHookHandlers = {
    progress: (task, hook) => wired().progress(task, hook),
    scheduleFired: (task, hook) => wired().scheduleFired(task, hook),
  };
  const eventRepository = new PgEventRepository({ pool, audit: auditStore });
  const events = new EventService({
    events: eventRepository,
    sync,
    logger,
    onArtifactChange: (change) => late.trigger?.notify(change),
    onRepositoryChange: (repository) => void repositoryChanges.announce(repository),
  });
  const jobs = new HttpJobServiceClient({ baseUrl: config.jobservice.url, secret: config.secret, timeoutMs: config.jobservice.timeoutMs });
  const tasks = new TaskService({
    tasks: new PgTaskStore({ pool }),
    jobs,
    jobSpecs: new AesGcmCredentialCipher({ key: config.encryptionKey, purpose: 'task-job' }),
    checkIns: createCheckInProcessors({ logger, replication: replicationHooks }),
    statusListeners: createStatusListeners({ replication: replicationHooks }),
    coreInternalUrl: config.internalUrl,
    logger,
  });
  const executions = new ExecutionService({ executions: new PgExecutionStore({ pool }), tasks, logger });
  const reconciler = new TaskReconciler({ tasks, jobs, logger, ...config.taskCheck });
  const adapter = new HttpAdapterClient({ baseUrl: config.adapter.url, secret: config.secret, timeoutMs: config.adapter.timeoutMs });
  const registries = new RegistryService({
    registries: new PgRegistryEndpointStore({ pool }),
    cipher: new AesGcmCredentialCipher({ key: config.encryptionKey }),
    adapter,
    localUrl: config.replication.localRegistryUrl,
    localBlobUrl: config.replication.localBlobUrl,
    secret: config.secret,
    logger,
  });
  const scheduler = new ReplicationScheduler({ schedules: new PgScheduleStore({ pool }), executions, tasks, logger });
  const policies = new PolicyService({ policies: new PgPolicyStore({ pool }), registries, executions, scheduler, logger });
  const replication = new ReplicationService({
    policies,
    registries,
    adapter,
    executions,
    tasks,
    scheduler,
    logger,
    maxConcurrentExecutions: config.replication.maxConcurrentExecutions,
    outageWindowMs: config.replication.outageWindowMs,
  });
  late.replication = replication;
  late.trigger = new ReplicationEventTrigger({ policies, replication, logger });
  // An hour is far beyond any flow's preparation, so another replica's live flow is never
  // touched. Checked at start and every 10 minutes: with replicas, a core that died while
  // preparing an execution may never start again, and another replica ends it.
  const recoverInterrupted = () =>
    replication.recoverInterrupted(60 * 60 * 1000).catch((error: unknown) => logger.warn('interrupted replication executions not recovered', { err: error }));
  void recoverInterrupted();
  const dryRun = new DryRunService({ policies, replication });
  const readiness = [
    { name: 'postgres', check: () => pingPool(pool) },
    { name: 'redis', check: async () => void (await redis.ping()) },
  ];
  const registryHealth = new RegistryFacadeClient({ baseUrl: config.registry.url, timeoutMs: 3000, attempts: 1 });
  const system = new SystemService({
    externalUrl: config.externalUrl,
    projectCreationRestriction: config.projectCreationRestriction,
    selfRegistration: config.selfRegistration,
    version: VERSION,
    storageProvider: 'filesystem',
    components: [
      { name: 'core', check: async () => undefined },
      { name: 'database', check: () => pingPool(pool) },
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'registry', check: () => registryHealth.health() },
    ],
  });

  await users.ensureAdmin(config.adminPassword.reveal());

  let shuttingDown = false;
  const app = createApp({
    logger,
    metrics,
    readiness,
    isShuttingDown: () => shuttingDown,
    trustProxy: config.http.trustProxy,
    secret: config.secret,
    secureCookies: config.externalUrl.startsWith('https:'),
    sessionTtlMs: config.sessions.ttlMs,
    services: { users, login, projects, members: new MemberService({ members, projects, users }), robots, tokens, repositories, artifacts, audit, events, search: new SearchService({ projects, repositories }), system, executions, tasks, registries, policies, replication, dryRun },
    v2: {
      gate: new V2GateService({
        tokens,
        projects,
        principals: login,
        vulnerabilities: new VulnerabilityPolicyService({ scans: new PgScanSummaryStore({ pool }) }),
        resolveDigest: async (repository, reference) => (await registry.resolve(repository, reference))?.digest,
        realm: `${config.externalUrl}/service/token`,
      }),
      manifests: manifestReads,
      pulls: new PullRecorder({ apply: (pulls) => eventRepository.applyPulls(pulls), logger }),
      repositoryChanges,
      login,
      projects,
      repositories,
      sync,
      audit,
      registryUrl: config.registry.url,
      registryTimeoutMs: config.registry.timeoutMs,
      manifestMaxSize: config.manifestMaxSize,
      logger,
    },
  });

  let server: RunningServer | undefined;
  let pruning: NodeJS.Timeout | undefined;
  let recovering: NodeJS.Timeout | undefined;
  return {
    app,
    logger,
    async replicationIdle() {
      await late.trigger?.idle();
      await replication.idle();
    },
    async start() {
      server = await listen(app, { host: config.http.host, port: config.http.port, logger });
      reconciler.start();
      // Applied event ids are needed only as long as registry-facade may deliver an event again.
      pruning = setInterval(() => {
        events.prune(new Date(Date.now() - config.registryEventRetentionMs)).catch((error: unknown) => logger.warn('registry event pruning failed', { err: error }));
      }, 60 * 60 * 1000);
      pruning.unref();
      recovering = setInterval(() => void recoverInterrupted(), 10 * 60 * 1000);
      recovering.unref();
      logger.info('core started', { url: server.url, externalUrl: config.externalUrl, registry: config.registry.url, jobservice: config.jobservice.url });
      return server;
    },
    async close() {
      shuttingDown = true;
      await server?.close(config.shutdownTimeoutMs);
      await reconciler.close();
      clearInterval(pruning);
      clearInterval(recovering);
      // Flows preparing their tasks are given the shutdown time to finish.
      await Promise.race([replication.idle(), new Promise((resolve) => setTimeout(resolve, config.shutdownTimeoutMs).unref())]);
      projectChanges.close();
      repositoryChanges.close();
      redis.disconnect();
      await pool.end();
    },
  };
}

/** Writes a new P-256 key where none exists (exclusively, so replicas starting at once keep one key). */
function ensureKeyFile(path: string, logger: Logger): void {
  if (existsSync(path)) return;
  mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  try {
    writeFileSync(path, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600, flag: 'wx' });
    logger.info('token signing key created', { path });
  } catch (error) {
    if ((error as { code?: string }).code !== 'EEXIST') throw error;
  }
}

if (import.meta.main) {
  runService({ name: 'core', loadConfig: () => loadConfig(configSchema, process.env), create: createCore });
}
