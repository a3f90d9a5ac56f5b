import { duration, logLevel, port, secret, url } from '@wharf/config';
import { z } from 'zod';

const keyPrefix = () => z.string().regex(/^[A-Za-z0-9:._-]*$/, { message: 'must be made of [A-Za-z0-9:._-]' });

/**
 * jobservice's configuration: environment variables (or a YAML file of the same names
 * named by CONFIG_FILE), validated here and nowhere else.
 */
const envSchema = z.object({
  LOG_LEVEL: logLevel().default('info'),
  LOG_FORMAT: z.enum(['json', 'pretty']).default('json'),

  JOBSERVICE_HTTP_HOST: z.string().min(1).default('127.0.0.1'),
  JOBSERVICE_HTTP_PORT: port().default(8082),
  JOBSERVICE_SHUTDOWN_TIMEOUT: duration().prefault('30s'),
  /** The suite's shared secret: `Authorization: Harbor-Secret <secret>` on every call in and every hook out. */
  JOBSERVICE_SECRET: secret(8),

  REDIS_URL: url(['redis:', 'rediss:']).default('redis://127.0.0.1:6379'),
  /** Every Redis key of this jobservice starts with this. */
  JOBSERVICE_REDIS_PREFIX: keyPrefix().default('wharf:jobservice:'),
  AMQP_URL: url(['amqp:', 'amqps:']).default('amqp://guest:guest@127.0.0.1:5672'),
  /** Queues are `<prefix>jobs.<NAME>` and `<prefix>jobs.<NAME>.dlq`. */
  JOBSERVICE_QUEUE_PREFIX: keyPrefix().default(''),

  /** This process's worker pool id (default: host name and pid). */
  JOBSERVICE_WORKER_POOL_ID: z.string().regex(/^[A-Za-z0-9._-]+$/).optional(),
  JOBSERVICE_HEARTBEAT_INTERVAL: duration().prefault('5s'),
  /** How often the reaper re-fires lagging hooks and re-queues jobs of dead worker pools. */
  JOBSERVICE_REAPER_INTERVAL: duration().prefault('1m'),
  /** How often the scheduler looks for due scheduled jobs and retries. */
  JOBSERVICE_SCHEDULER_INTERVAL: duration().prefault('250ms'),
  /** First retry delay of a failed job; doubles per failure up to the maximum. */
  JOBSERVICE_RETRY_BASE_DELAY: duration().prefault('2s'),
  JOBSERVICE_RETRY_MAX_DELAY: duration().prefault('5m'),
  /**
   * How long a job retries an outage of a service it calls (cannot connect, connection reset,
   * timeout, 502/503/504) before it fails; these retries do not count against the job type's
   * max fails.
   */
  JOBSERVICE_RETRY_OUTAGE_WINDOW: duration().prefault('5m'),
  /** Longest wait between two attempts during an outage (the wait grows with the outage from the base delay). */
  JOBSERVICE_RETRY_OUTAGE_MAX_DELAY: duration().prefault('30s'),

  JOBSERVICE_LOG_DIR: z.string().min(1).default('./data/jobservice/logs'),
  /** Job logs older than this are deleted. */
  JOBSERVICE_LOG_MAX_AGE: duration().prefault('7d'),
  JOBSERVICE_LOG_SWEEP_INTERVAL: duration().prefault('1h'),

  JOBSERVICE_HOOK_TIMEOUT: duration().prefault('30s'),
  /** First hook retry delay (Harbor: 2 s), doubling up to the maximum. */
  JOBSERVICE_HOOK_MIN_BACKOFF: duration().prefault('2s'),
  JOBSERVICE_HOOK_MAX_BACKOFF: duration().prefault('1m'),
  /** A hook not delivered within this age is given up and recorded in `hook_status`. */
  JOBSERVICE_HOOK_MAX_AGE: duration().prefault('1h'),
  JOBSERVICE_HOOK_CONCURRENCY: z.coerce.number().int().min(1).max(1000).default(64),

  /** The adapter service REPLICATION jobs hand their task to. */
  JOBSERVICE_ADAPTER_URL: url().default('http://127.0.0.1:8083'),
  /** registry-facade, whose /internal/gc GARBAGE_COLLECTION calls. */
  JOBSERVICE_REGISTRY_URL: url().default('http://127.0.0.1:5000'),
});

export const configSchema = envSchema.transform((env) => ({
  log: { level: env.LOG_LEVEL, format: env.LOG_FORMAT },
  http: { host: env.JOBSERVICE_HTTP_HOST, port: env.JOBSERVICE_HTTP_PORT },
  shutdownTimeoutMs: env.JOBSERVICE_SHUTDOWN_TIMEOUT,
  secret: env.JOBSERVICE_SECRET,
  redis: { url: env.REDIS_URL, prefix: env.JOBSERVICE_REDIS_PREFIX },
  amqp: { url: env.AMQP_URL, queuePrefix: env.JOBSERVICE_QUEUE_PREFIX },
  pool: { id: env.JOBSERVICE_WORKER_POOL_ID, heartbeatIntervalMs: env.JOBSERVICE_HEARTBEAT_INTERVAL },
  reaperIntervalMs: env.JOBSERVICE_REAPER_INTERVAL,
  schedulerIntervalMs: env.JOBSERVICE_SCHEDULER_INTERVAL,
  retry: {
    baseDelayMs: env.JOBSERVICE_RETRY_BASE_DELAY,
    maxDelayMs: env.JOBSERVICE_RETRY_MAX_DELAY,
    outageWindowMs: env.JOBSERVICE_RETRY_OUTAGE_WINDOW,
    outageMaxDelayMs: env.JOBSERVICE_RETRY_OUTAGE_MAX_DELAY,
  },
  logs: { dir: env.JOBSERVICE_LOG_DIR, maxAgeMs: env.JOBSERVICE_LOG_MAX_AGE, sweepIntervalMs: env.JOBSERVICE_LOG_SWEEP_INTERVAL },
  hooks: {
    timeoutMs: env.JOBSERVICE_HOOK_TIMEOUT,
    minBackoffMs: env.JOBSERVICE_HOOK_MIN_BACKOFF,
    maxBackoffMs: env.JOBSERVICE_HOOK_MAX_BACKOFF,
    maxAgeMs: env.JOBSERVICE_HOOK_MAX_AGE,
    concurrency: env.JOBSERVICE_HOOK_CONCURRENCY,
  },
  adapterUrl: env.JOBSERVICE_ADAPTER_URL.replace(/\/+$/, ''),
  registryUrl: env.JOBSERVICE_REGISTRY_URL.replace(/\/+$/, ''),
}));

export type Config = z.output<typeof configSchema>;
