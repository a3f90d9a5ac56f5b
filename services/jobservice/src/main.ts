import { hostname } from 'node:os';
import { loadConfig } from '@wharf/config';
import { listen, runService, type RunningServer } from '@wharf/http-kit';
import { createLogger, type Logger } from '@wharf/logging';
import { Redis } from 'ioredis';
import type { Express } from 'express';
import { createApp } from './app.js';
import { configSchema, type Config } from './config.js';
import { RedisHookRepository } from './hooks/hook.repository.js';
import { HookSender } from './hooks/hook-sender.js';
import { RedisJobRepository } from './jobs/job.repository.js';
import { JobService } from './jobs/job.service.js';
import { redisKeys } from './jobs/keys.js';
import type { Clock } from './jobs/ports.js';
import { createJobTypes } from './jobs/registry.js';
import { FileJobLogs } from './logs/job-logs.js';
import { AmqpJobQueue } from './queue/amqp-job-queue.js';
import { PeriodicEnqueuer } from './scheduling/periodic.js';
import { Reaper } from './scheduling/reaper.js';
import { Scheduler } from './scheduling/scheduler.js';
import { StopSignals } from './worker/stop-signals.js';
import { Worker } from './worker/worker.js';
import { RedisWorkerPools } from './worker/worker-pool.repository.js';

export interface Jobservice {
  app: Express;
  logger: Logger;
  /** Listens, consumes, schedules, delivers hooks, reaps. */
  start(): Promise<RunningServer>;
  /** Stops taking requests and jobs, lets running jobs finish (up to the shutdown timeout), closes connections. */
  close(): Promise<void>;
}

/** The composition root: config → logger → Redis, RabbitMQ → repositories → services → workers → app. */
export async function createJobservice(config: Config, options: { logger?: Logger } = {}): Promise<Jobservice> {
  const logger = options.logger ?? createLogger({ service: 'jobservice', level: config.log.level, format: config.log.format });
  logger.debug('configuration loaded', { config });
  const clock: Clock = { now: Date.now };
  const keys = redisKeys(config.redis.prefix);
  const poolId = config.pool.id ?? `${hostname()}-${process.pid}`;

  const redisOptions = { maxRetriesPerRequest: null, enableAutoPipelining: true, lazyConnect: true } as const;
  const redis = new Redis(config.redis.url, redisOptions);
  const subscriber = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  for (const client of [redis, subscriber]) client.on('error', (error: Error) => logger.warn('redis connection error', { err: error }));
  await redis.connect();
  await subscriber.connect();

  const secret = config.secret.reveal();
  const types = createJobTypes({ adapterUrl: config.adapterUrl, registryUrl: config.registryUrl, secret });
  const queue = new AmqpJobQueue({ url: config.amqp.url, queuePrefix: config.amqp.queuePrefix, jobNames: [...types.keys()], logger: logger.child({ component: 'queue' }) });
  const jobs = new RedisJobRepository({ redis, keys });
  const hookRepository = new RedisHookRepository({ redis, keys });
  const pools = new RedisWorkerPools({ redis, keys });
  const logs = new FileJobLogs({ dir: config.logs.dir, level: config.log.level });
  await logs.init();

  const hooks = new HookSender({ hooks: hookRepository, secret, clock, logger: logger.child({ component: 'hooks' }), ...config.hooks });
  const onStatusChanged = (id: string): void => hooks.kick(id);
  const stops = new StopSignals({ subscriber, redis, keys, logger: logger.child({ component: 'stop' }) });
  const worker = new Worker({ poolId, jobs, types, logs, stops, pools, clock, logger: logger.child({ component: 'worker' }), retry: config.retry, onStatusChanged });
  const scheduler = new Scheduler({ jobs, publisher: queue, clock, logger: logger.child({ component: 'scheduler' }), intervalMs: config.schedulerIntervalMs });
  const periodic = new PeriodicEnqueuer({ jobs, publisher: queue, clock, logger: logger.child({ component: 'periodic' }) });
  const reaper = new Reaper({ jobs, hooks: hookRepository, pools, clock, logger: logger.child({ component: 'reaper' }), intervalMs: config.reaperIntervalMs, onRefire: onStatusChanged });
  const service = new JobService({ jobs, publisher: queue, pools, logs, types, clock, logger, onStatusChanged });

  let shuttingDown = false;
  const app = createApp({
    logger,
    secret,
    jobs: service,
    isShuttingDown: () => shuttingDown,
    readiness: [
      { name: 'redis', check: async () => void (await redis.ping()) },
      { name: 'rabbitmq', check: () => queue.ping() },
    ],
  });

  const startedAt = Math.floor(clock.now() / 1000);
  const concurrency = [...types.values()].reduce((sum, type) => sum + type.concurrency, 0);
  const heartbeat = async (): Promise<void> => {
    await pools.heartbeat(
      { worker_pool_id: poolId, started_at: startedAt, heartbeat_at: Math.floor(clock.now() / 1000), job_names: [...types.keys()], concurrency, status: 'Healthy' },
      config.pool.heartbeatIntervalMs * 3,
    );
  };

  let server: RunningServer | undefined;
  const timers: NodeJS.Timeout[] = [];
  return {
    app,
    logger,
    async start() {
      await queue.start();
      await stops.start();
      await heartbeat();
      for (const [name, type] of types) queue.consume(name, type.concurrency, worker.handle);
      hooks.start();
      scheduler.start();
      await periodic.start();
      reaper.start();
      timers.push(
        setInterval(() => void heartbeat().catch((error: unknown) => logger.warn('heartbeat failed', { err: error })), config.pool.heartbeatIntervalMs),
        setInterval(() => {
          logs.sweep(config.logs.maxAgeMs).catch((error: unknown) => logger.warn('job log sweep failed', { err: error }));
        }, config.logs.sweepIntervalMs),
      );
      for (const timer of timers) timer.unref();
      void reaper.run();
      server = await listen(app, { host: config.http.host, port: config.http.port, logger });
      logger.info('jobservice started', { url: server.url, poolId, jobTypes: [...types.keys()] });
      return server;
    },
    async close() {
      shuttingDown = true;
      for (const timer of timers) clearInterval(timer);
      await server?.close(5000);
      periodic.close();
      await scheduler.close();
      await reaper.close();
      await worker.drain(config.shutdownTimeoutMs);
      await queue.close();
      await hooks.close();
      await stops.close();
      await pools.remove(poolId).catch(() => undefined);
      await redis.quit().catch(() => undefined);
    },
  };
}

if (import.meta.main) {
  runService({ name: 'jobservice', loadConfig: () => loadConfig(configSchema, process.env), create: createJobservice, marginMs: 10000 });
}
