import { byteSize, duration, logLevel, port, secret } from '@wharf/config';
import { z } from 'zod';

/** The adapter service's configuration: environment variables (or a YAML file named by CONFIG_FILE). */
const envSchema = z.object({
  LOG_LEVEL: logLevel().default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

  ADAPTER_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  ADAPTER_HTTP_PORT: port().default(8083),
  ADAPTER_SHUTDOWN_TIMEOUT: duration().prefault('30s'),
  /** The shared secret callers send as `Authorization: Harbor-Secret <secret>`. */
  ADAPTER_SECRET: secret(8),

  /** Deadline of one metadata call to a foreign registry (headers of any call). */
  ADAPTER_REQUEST_TIMEOUT: duration().prefault('30s'),
  /** Longest silence while a blob body flows. */
  ADAPTER_IDLE_TIMEOUT: duration().prefault('2m'),
  /** Attempts per blob after the first (Harbor's COPY_BLOB_RETRY_COUNT). */
  ADAPTER_COPY_BLOB_RETRIES: z.coerce.number().int().min(0).max(20).default(5),
  /** First pause between blob attempts; doubled each time (Harbor: 2 s). */
  ADAPTER_COPY_RETRY_BACKOFF: duration().prefault('2s'),
  ADAPTER_COPY_RETRY_MAX_BACKOFF: duration().prefault('1m'),
  /** PATCH size with copy_by_chunk (Harbor's REPLICATION_CHUNK_SIZE). */
  ADAPTER_COPY_CHUNK_SIZE: byteSize().prefault('10mb'),
  /** Blobs of one task copied at once. */
  ADAPTER_COPY_BLOB_CONCURRENCY: z.coerce.number().int().min(1).max(32).default(3),
});

export const configSchema = envSchema.transform((env) => ({
  log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
  http: { host: env.ADAPTER_HTTP_HOST, port: env.ADAPTER_HTTP_PORT },
  shutdownTimeoutMs: env.ADAPTER_SHUTDOWN_TIMEOUT,
  secret: env.ADAPTER_SECRET,
  registry: { requestTimeoutMs: env.ADAPTER_REQUEST_TIMEOUT, idleTimeoutMs: env.ADAPTER_IDLE_TIMEOUT },
  copy: {
    retries: env.ADAPTER_COPY_BLOB_RETRIES,
    backoffMs: env.ADAPTER_COPY_RETRY_BACKOFF,
    maxBackoffMs: env.ADAPTER_COPY_RETRY_MAX_BACKOFF,
    chunkSize: env.ADAPTER_COPY_CHUNK_SIZE,
    blobConcurrency: env.ADAPTER_COPY_BLOB_CONCURRENCY,
  },
}));

export type Config = z.output<typeof configSchema>;
