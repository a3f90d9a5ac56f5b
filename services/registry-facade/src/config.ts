import { bool, byteSize, duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';

/**
 * registry-facade's configuration: environment variables (or a YAML file of the same
 * names named by CONFIG_FILE), validated here and nowhere else.
 */
export const configSchema = z
  .object({
    LOG_LEVEL: logLevel().default('info'),
    LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

    REGISTRY_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
    REGISTRY_HTTP_PORT: port().default(5000),
    /** Which proxies' X-Forwarded-* headers to trust (express `trust proxy`). */
    REGISTRY_HTTP_TRUST_PROXY: z.string().default('loopback'),
    REGISTRY_SHUTDOWN_TIMEOUT: duration().prefault('30s'),

    DATABASE_URL: url(['postgres:', 'postgresql:']).default('postgres://postgres@127.0.0.1:5432/wharf'),
    REGISTRY_DATABASE_SCHEMA: z.string().regex(/^[a-z_][a-z0-9_]*$/).default('registry'),
    REGISTRY_DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(500).default(20),
    /** Apply pending migrations at start (under an advisory lock, so replicas can all do it). */
    REGISTRY_DATABASE_MIGRATE: bool().default(true),

    REGISTRY_STORAGE_DRIVER: z.enum(['filesystem', 'inmemory']).default('filesystem'),
    REGISTRY_STORAGE_FILESYSTEM_ROOT: z.string().min(1).default('./data/registry'),
    REGISTRY_STORAGE_DELETE_ENABLED: bool().default(true),

    REGISTRY_UPLOAD_TTL: duration().prefault('24h'),
    REGISTRY_UPLOAD_PURGE_INTERVAL: duration().prefault('10m'),
    REGISTRY_MANIFEST_MAX_SIZE: byteSize().prefault('4mb'),

    REGISTRY_AUTH_MODE: z.enum(['none', 'token']).default('none'),
    REGISTRY_AUTH_TOKEN_REALM: url().optional(),
    REGISTRY_AUTH_TOKEN_SERVICE: z.string().min(1).default('harbor-registry'),
    REGISTRY_AUTH_TOKEN_ISSUER: z.string().min(1).default('harbor-token-issuer'),
    REGISTRY_AUTH_TOKEN_JWKS_URL: url().optional(),
    REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE: z.string().min(1).optional(),

    REGISTRY_NOTIFICATIONS_URL: url().optional(),
    REGISTRY_NOTIFICATIONS_SECRET: secret(16).optional(),
    REGISTRY_NOTIFICATIONS_TIMEOUT: duration().prefault('5s'),
    REGISTRY_NOTIFICATIONS_BATCH_SIZE: z.coerce.number().int().min(1).max(1000).default(100),
    REGISTRY_NOTIFICATIONS_POLL_INTERVAL: duration().prefault('1s'),
    REGISTRY_NOTIFICATIONS_MIN_BACKOFF: duration().prefault('500ms'),
    REGISTRY_NOTIFICATIONS_MAX_BACKOFF: duration().prefault('1m'),
    REGISTRY_NOTIFICATIONS_MAX_AGE: duration().prefault('7d'),
  })
  .superRefine((env, ctx) => {
    if (env.REGISTRY_AUTH_MODE === 'token') {
      if (!env.REGISTRY_AUTH_TOKEN_REALM) {
        ctx.addIssue({ code: 'custom', path: ['REGISTRY_AUTH_TOKEN_REALM'], message: 'required when REGISTRY_AUTH_MODE=token' });
      }
      if (!env.REGISTRY_AUTH_TOKEN_JWKS_URL === !env.REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE) {
        ctx.addIssue({
          code: 'custom',
          path: ['REGISTRY_AUTH_TOKEN_JWKS_URL'],
          message: 'set exactly one of REGISTRY_AUTH_TOKEN_JWKS_URL and REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE when REGISTRY_AUTH_MODE=token',
        });
      }
    }
    if (env.REGISTRY_NOTIFICATIONS_URL && !env.REGISTRY_NOTIFICATIONS_SECRET) {
      ctx.addIssue({ code: 'custom', path: ['REGISTRY_NOTIFICATIONS_SECRET'], message: 'required when REGISTRY_NOTIFICATIONS_URL is set' });
    }
  })
  .transform((env) => ({
    log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
    http: { host: env.REGISTRY_HTTP_HOST, port: env.REGISTRY_HTTP_PORT, trustProxy: env.REGISTRY_HTTP_TRUST_PROXY },
    shutdownTimeoutMs: env.REGISTRY_SHUTDOWN_TIMEOUT,
    db: {
      url: env.DATABASE_URL,
      schema: env.REGISTRY_DATABASE_SCHEMA,
      poolMax: env.REGISTRY_DATABASE_POOL_MAX,
      migrate: env.REGISTRY_DATABASE_MIGRATE,
    },
    storage:
      env.REGISTRY_STORAGE_DRIVER === 'filesystem'
        ? { driver: 'filesystem' as const, root: env.REGISTRY_STORAGE_FILESYSTEM_ROOT }
        : { driver: 'inmemory' as const },
    deleteEnabled: env.REGISTRY_STORAGE_DELETE_ENABLED,
    uploads: { ttlMs: env.REGISTRY_UPLOAD_TTL, purgeIntervalMs: env.REGISTRY_UPLOAD_PURGE_INTERVAL },
    manifestMaxSize: env.REGISTRY_MANIFEST_MAX_SIZE,
    auth:
      env.REGISTRY_AUTH_MODE === 'token'
        ? {
            mode: 'token' as const,
            realm: env.REGISTRY_AUTH_TOKEN_REALM!,
            service: env.REGISTRY_AUTH_TOKEN_SERVICE,
            issuer: env.REGISTRY_AUTH_TOKEN_ISSUER,
            keys: env.REGISTRY_AUTH_TOKEN_JWKS_URL
              ? { source: 'jwks' as const, jwksUrl: env.REGISTRY_AUTH_TOKEN_JWKS_URL }
              : { source: 'file' as const, publicKeyFile: env.REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE! },
          }
        : { mode: 'none' as const },
    notifications: env.REGISTRY_NOTIFICATIONS_URL
      ? {
          url: env.REGISTRY_NOTIFICATIONS_URL,
          secret: env.REGISTRY_NOTIFICATIONS_SECRET!,
          timeoutMs: env.REGISTRY_NOTIFICATIONS_TIMEOUT,
          batchSize: env.REGISTRY_NOTIFICATIONS_BATCH_SIZE,
          pollIntervalMs: env.REGISTRY_NOTIFICATIONS_POLL_INTERVAL,
          minBackoffMs: env.REGISTRY_NOTIFICATIONS_MIN_BACKOFF,
          maxBackoffMs: env.REGISTRY_NOTIFICATIONS_MAX_BACKOFF,
          maxAgeMs: env.REGISTRY_NOTIFICATIONS_MAX_AGE,
        }
      : undefined,
  }));

export type Config = z.output<typeof configSchema>;
