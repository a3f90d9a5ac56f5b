import { bool, byteSize, duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';
import type { StorageConfig } from './storage/registry.js';

/**
 * registry-facade's configuration: environment variables (or a YAML file of the same
 * names named by CONFIG_FILE), validated here and nowhere else.
 */
const envSchema = z.object({
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

  REGISTRY_STORAGE_DRIVER: z.enum(['filesystem', 's3', 'inmemory']).default('filesystem'),
  REGISTRY_STORAGE_FILESYSTEM_ROOT: z.string().min(1).default('./data/registry'),
  /** Required when REGISTRY_STORAGE_DRIVER=s3. */
  REGISTRY_STORAGE_S3_BUCKET: z.string().min(1).optional(),
  REGISTRY_STORAGE_S3_REGION: z.string().min(1).default('us-east-1'),
  /** An S3-compatible store (MinIO, Ceph RGW); unset for AWS S3. */
  REGISTRY_STORAGE_S3_ENDPOINT: url().optional(),
  /** Both or neither; neither = the AWS SDK's default credential chain. */
  REGISTRY_STORAGE_S3_ACCESS_KEY: z.string().min(1).optional(),
  REGISTRY_STORAGE_S3_SECRET_KEY: secret().optional(),
  REGISTRY_STORAGE_S3_FORCE_PATH_STYLE: bool().default(false),
  /** Key prefix under which everything is stored, e.g. `wharf/registry`. */
  REGISTRY_STORAGE_S3_ROOT_DIRECTORY: z
    .string()
    .regex(/^\/*(?:[A-Za-z0-9._-]+(?:\/[A-Za-z0-9._-]+)*)?\/*$/, { message: 'must be a key prefix made of /-separated [A-Za-z0-9._-] names' })
    .refine((value) => !value.split('/').some((part) => part === '.' || part === '..'), { message: 'must not contain . or .. names' })
    .default(''),
  REGISTRY_STORAGE_S3_CONNECT_TIMEOUT: duration().prefault('5s'),
  REGISTRY_STORAGE_S3_REQUEST_TIMEOUT: duration().prefault('2m'),
  REGISTRY_STORAGE_S3_SOCKET_TIMEOUT: duration().prefault('1m'),
  REGISTRY_STORAGE_S3_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(5),
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
});

export const configSchema = envSchema
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
    if (env.REGISTRY_STORAGE_DRIVER === 's3') {
      if (!env.REGISTRY_STORAGE_S3_BUCKET) {
        ctx.addIssue({ code: 'custom', path: ['REGISTRY_STORAGE_S3_BUCKET'], message: 'required when REGISTRY_STORAGE_DRIVER=s3' });
      }
      if (!env.REGISTRY_STORAGE_S3_ACCESS_KEY !== !env.REGISTRY_STORAGE_S3_SECRET_KEY) {
        ctx.addIssue({
          code: 'custom',
          path: [env.REGISTRY_STORAGE_S3_ACCESS_KEY ? 'REGISTRY_STORAGE_S3_SECRET_KEY' : 'REGISTRY_STORAGE_S3_ACCESS_KEY'],
          message: 'set both REGISTRY_STORAGE_S3_ACCESS_KEY and REGISTRY_STORAGE_S3_SECRET_KEY, or neither (the default credential chain)',
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
    storage: storageConfig(env),
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

type StorageEnv = Pick<
  z.output<typeof envSchema>,
  Extract<keyof z.output<typeof envSchema>, `REGISTRY_STORAGE_${string}`>
>;

/** The `storage` union: one member per driver, each with only its own settings. */
function storageConfig(env: StorageEnv): StorageConfig {
  switch (env.REGISTRY_STORAGE_DRIVER) {
    case 'filesystem':
      return { driver: 'filesystem', root: env.REGISTRY_STORAGE_FILESYSTEM_ROOT };
    case 's3':
      return {
        driver: 's3',
        bucket: env.REGISTRY_STORAGE_S3_BUCKET!,
        region: env.REGISTRY_STORAGE_S3_REGION,
        endpoint: env.REGISTRY_STORAGE_S3_ENDPOINT,
        credentials:
          env.REGISTRY_STORAGE_S3_ACCESS_KEY && env.REGISTRY_STORAGE_S3_SECRET_KEY
            ? { accessKeyId: env.REGISTRY_STORAGE_S3_ACCESS_KEY, secretAccessKey: env.REGISTRY_STORAGE_S3_SECRET_KEY }
            : undefined,
        forcePathStyle: env.REGISTRY_STORAGE_S3_FORCE_PATH_STYLE,
        rootDirectory: env.REGISTRY_STORAGE_S3_ROOT_DIRECTORY.replace(/^\/+|\/+$/g, ''),
        connectTimeoutMs: env.REGISTRY_STORAGE_S3_CONNECT_TIMEOUT,
        requestTimeoutMs: env.REGISTRY_STORAGE_S3_REQUEST_TIMEOUT,
        socketTimeoutMs: env.REGISTRY_STORAGE_S3_SOCKET_TIMEOUT,
        maxAttempts: env.REGISTRY_STORAGE_S3_MAX_ATTEMPTS,
      };
    case 'inmemory':
      return { driver: 'inmemory' };
  }
}
