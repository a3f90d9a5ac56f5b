import { bool, duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';

/** core's configuration: environment variables (or a YAML file of the same names named by CONFIG_FILE). */
export const configSchema = z
  .object({
    LOG_LEVEL: logLevel().default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

    CORE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    CORE_HTTP_PORT: port().default(8081),
    CORE_HTTP_TRUST_PROXY: z.string().default('loopback'),
    /** The address users and clients reach Wharf at: token realm, Location headers, event URLs. */
    CORE_EXTERNAL_URL: url().default('http://127.0.0.1:8081'),
    /** How the suite's other services reach core (jobservice's status hooks go to `<this>/service/notifications/tasks/<id>`). */
    CORE_INTERNAL_URL: url().default('http://127.0.0.1:8081'),
    CORE_SHUTDOWN_TIMEOUT: duration().prefault('30s'),

    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/wharf'),
    CORE_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('core'),
    CORE_DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
    CORE_DATABASE_MIGRATE: bool().default(true),

    REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
    CORE_REDIS_PREFIX: z.string().min(1).default('wharf:core:'),

    /** Password of `admin`, set when the admin user is first created. */
    WHARF_ADMIN_PASSWORD: secret(8),
    /** Shared secret of the suite's services (`Authorization: Harbor-Secret …`). */
    CORE_SECRET: secret(16),

    /** registry-facade, as core reaches it. */
    CORE_REGISTRY_URL: url().default('http://127.0.0.1:5000'),
    CORE_REGISTRY_TIMEOUT: duration().prefault('30s'),

    /** jobservice, as core reaches it (`/api/v1/jobs`). */
    CORE_JOBSERVICE_URL: url().default('http://127.0.0.1:8082'),
    /** Time limit of each call to jobservice. */
    CORE_JOBSERVICE_TIMEOUT: duration().prefault('10s'),

    /** The adapter service, as core reaches it (`/api/v1/adapters`, `/api/v1/resources`…). */
    CORE_ADAPTER_URL: url().default('http://127.0.0.1:8083'),
    /** Time limit of each call to the adapter service (listing a large registry's resources takes a while). */
    CORE_ADAPTER_TIMEOUT: duration().prefault('60s'),
    /** Encrypts registry credentials at rest (AES-256-GCM, key derived with HKDF-SHA256). At least 32 characters; changing it makes stored credentials unreadable. */
    CORE_ENCRYPTION_KEY: secret(32),
    /**
     * How long the ids of applied registry events are kept to drop redeliveries: longer than
     * registry-facade keeps an undelivered event (REGISTRY_NOTIFICATIONS_MAX_AGE, 7 days).
     */
    CORE_REGISTRY_EVENT_RETENTION: duration().prefault('8d'),
    /** How often core checks its unfinished tasks against jobservice (jobs whose state jobservice lost, hooks that never came). */
    CORE_TASK_CHECK_INTERVAL: duration().prefault('30s'),
    /** A task unchanged for this long has its job checked; schedules (periodic jobs) are checked this often. */
    CORE_TASK_CHECK_AFTER: duration().prefault('1m'),
    /** How often core submits a lost job again before its task ends in Error. */
    CORE_TASK_MAX_RESUBMITS: z.coerce.number().int().min(0).max(100).default(3),
    /** How long a replication waits out an outage of the adapter, jobservice or the database while it prepares its tasks. */
    CORE_REPLICATION_RETRY_WINDOW: duration().prefault('2m'),
    /** How many replication executions prepare their tasks at once; the others wait in order. */
    CORE_REPLICATION_MAX_CONCURRENT_EXECUTIONS: z.coerce.number().int().min(1).max(64).default(4),
    /** The local Wharf as a replication side (Harbor's registry id 0), as the adapter reaches it; CORE_INTERNAL_URL when unset. */
    CORE_LOCAL_REGISTRY_URL: url().optional(),
    /**
     * Where the adapter reads and writes the local side's blobs: registry-facade, which checks
     * core's tokens itself (manifests still pass core's /v2 gate); CORE_REGISTRY_URL when unset.
     */
    CORE_LOCAL_REGISTRY_BLOB_URL: url().optional(),

    CORE_TOKEN_ISSUER: z.string().min(1).default('harbor-token-issuer'),
    CORE_TOKEN_SERVICE: z.string().min(1).default('harbor-registry'),
    CORE_TOKEN_TTL: duration().prefault('30m'),
    CORE_REFRESH_TOKEN_TTL: duration().prefault('30d'),
    /** PEM private key (RSA or P-256) that signs registry tokens. */
    CORE_TOKEN_PRIVATE_KEY_FILE: z.string().min(1),
    /** Create the key file (P-256) when it does not exist yet (single-host deployments such as docker-compose). */
    CORE_TOKEN_KEY_GENERATE: bool().default(false),

    CORE_SESSION_TTL: duration().prefault('30m'),
    CORE_LOGIN_MAX_FAILURES: z.coerce.number().int().min(1).max(100).default(5),
    CORE_LOGIN_MAX_FAILURES_PER_ADDRESS: z.coerce.number().int().min(1).max(100000).default(100),
    CORE_LOGIN_LOCKOUT: duration().prefault('5m'),

    CORE_ROBOT_NAME_PREFIX: z.string().min(1).default('robot$'),
    CORE_PROJECT_CREATION_RESTRICTION: z.enum(['everyone', 'adminonly']).default('everyone'),
    CORE_SELF_REGISTRATION: bool().default(false),
    CORE_MANIFEST_MAX_SIZE: z.coerce.number().int().min(1024).default(4 * 1024 * 1024),
  })
  .transform((env) => ({
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    http: { host: env.CORE_HTTP_HOST, port: env.CORE_HTTP_PORT, trustProxy: env.CORE_HTTP_TRUST_PROXY },
    externalUrl: env.CORE_EXTERNAL_URL.replace(/\/+$/, ''),
    internalUrl: env.CORE_INTERNAL_URL.replace(/\/+$/, ''),
    shutdownTimeoutMs: env.CORE_SHUTDOWN_TIMEOUT,
    db: { url: env.DATABASE_URL, schema: env.CORE_DATABASE_SCHEMA, poolMax: env.CORE_DATABASE_POOL_MAX, migrate: env.CORE_DATABASE_MIGRATE },
    redis: { url: env.REDIS_URL, prefix: env.CORE_REDIS_PREFIX },
    adminPassword: env.WHARF_ADMIN_PASSWORD,
    secret: env.CORE_SECRET,
    registry: { url: env.CORE_REGISTRY_URL.replace(/\/+$/, ''), timeoutMs: env.CORE_REGISTRY_TIMEOUT },
    jobservice: { url: env.CORE_JOBSERVICE_URL.replace(/\/+$/, ''), timeoutMs: env.CORE_JOBSERVICE_TIMEOUT },
    adapter: { url: env.CORE_ADAPTER_URL.replace(/\/+$/, ''), timeoutMs: env.CORE_ADAPTER_TIMEOUT },
    encryptionKey: env.CORE_ENCRYPTION_KEY,
    registryEventRetentionMs: env.CORE_REGISTRY_EVENT_RETENTION,
    taskCheck: { intervalMs: env.CORE_TASK_CHECK_INTERVAL, staleAfterMs: env.CORE_TASK_CHECK_AFTER, maxResubmits: env.CORE_TASK_MAX_RESUBMITS },
    replication: {
      maxConcurrentExecutions: env.CORE_REPLICATION_MAX_CONCURRENT_EXECUTIONS,
      outageWindowMs: env.CORE_REPLICATION_RETRY_WINDOW,
      localRegistryUrl: (env.CORE_LOCAL_REGISTRY_URL ?? env.CORE_INTERNAL_URL).replace(/\/+$/, ''),
      localBlobUrl: (env.CORE_LOCAL_REGISTRY_BLOB_URL ?? env.CORE_REGISTRY_URL).replace(/\/+$/, ''),
    },
    token: {
      issuer: env.CORE_TOKEN_ISSUER,
      service: env.CORE_TOKEN_SERVICE,
      ttlSeconds: Math.round(env.CORE_TOKEN_TTL / 1000),
      refreshTtlSeconds: Math.round(env.CORE_REFRESH_TOKEN_TTL / 1000),
      privateKeyFile: env.CORE_TOKEN_PRIVATE_KEY_FILE,
      generateKey: env.CORE_TOKEN_KEY_GENERATE,
    },
    sessions: { ttlMs: env.CORE_SESSION_TTL },
    login: { maxFailures: env.CORE_LOGIN_MAX_FAILURES, maxAddressFailures: env.CORE_LOGIN_MAX_FAILURES_PER_ADDRESS, lockoutMs: env.CORE_LOGIN_LOCKOUT },
    robotNamePrefix: env.CORE_ROBOT_NAME_PREFIX,
    projectCreationRestriction: env.CORE_PROJECT_CREATION_RESTRICTION,
    selfRegistration: env.CORE_SELF_REGISTRATION,
    manifestMaxSize: env.CORE_MANIFEST_MAX_SIZE,
  }));

export type Config = z.output<typeof configSchema>;
