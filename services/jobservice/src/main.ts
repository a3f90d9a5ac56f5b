import { randomBytes } from 'node:crypto';
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
import { RedisJobLeases } from './worker/job-lease.repository.js';
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

  // Both clients reconnect by themselves (a Redis restart): commands wait in the offline
  // queue meanwhile, and the subscriber subscribes again. A lost connection is logged once
  // per outage, never thrown.
  const redis = new Redis(config.redis.url, { maxRetriesPerRequest: null, enableAutoPipelining: true, lazyConnect: true });
  const subscriber = new Redis(config.redis.url, { maxRetriesPerRequest: null, lazyConnect: true });
  for (const [name, client] of [['commands', redis], ['subscriber', subscriber]] as const) {
    let down = false;
    client.on('error', (error: Error) => {
      if (!down) logger.warn('redis connection error', { client: name, err: error });
      down = true;
    });
    client.on('ready', () => {
      if (down) logger.info('redis connection restored', { client: name });
      down = false;
    });
    // Until Redis answers the first time, start waits (a Redis still starting is not a reason to exit).
    client.connect().catch(() => undefined);
  }
  await redis.ping();

  const secret = config.secret.reveal();
  const types = createJobTypes({ adapterUrl: config.adapterUrl, registryUrl: config.registryUrl, secret });
  const queue = new AmqpJobQueue({ url: config.amqp.url, queuePrefix: config.amqp.queuePrefix, jobNames: [...types.keys()], logger: logger.child({ component: 'queue' }) });
  const jobs = new RedisJobRepository({ redis, keys });
  const hookRepository = new RedisHookRepository({ redis, keys });
  const pools = new RedisWorkerPools({ redis, keys });
  const leases = new RedisJobLeases({ redis, keys });
  const logs = new FileJobLogs({ dir: config.logs.dir, level: config.log.level });
  await logs.init();

  const hooks = new HookSender({ hooks: hookRepository, secret, clock, logger: logger.child({ component: 'hooks' }), ...config.hooks });
  const onStatusChanged = (id: string): void => hooks.kick(id);
  const stops = new StopSignals({ subscriber, redis, keys, logger: logger.child({ component: 'stop' }) });
  // A job's lease lives as long as its pool's heartbeat and is renewed with it.
  const leaseTtlMs = config.pool.heartbeatIntervalMs * 3;
  const instance = randomBytes(6).toString('hex');
  const worker = new Worker({ poolId, instance, jobs, types, logs, stops, leases, pools, clock, logger: logger.child({ component: 'worker' }), retry: config.retry, leaseTtlMs, onStatusChanged });
  const scheduler = new Scheduler({ jobs, publisher: queue, clock, logger: logger.child({ component: 'scheduler' }), intervalMs: config.schedulerIntervalMs });
  const periodic = new PeriodicEnqueuer({ jobs, publisher: queue, clock, logger: logger.child({ component: 'periodic' }) });
  const reaper = new Reaper({ jobs, hooks: hookRepository, pools, leases, clock, logger: logger.child({ component: 'reaper' }), intervalMs: config.reaperIntervalMs, onRefire: onStatusChanged });
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
  let beating: Promise<void> | undefined;
  /** The pool's heartbeat and its jobs' leases; one at a time (while Redis is away, calls wait in the offline queue). */
  const heartbeat = (): Promise<void> =>
    (beating ??= (async () => {
      await pools.heartbeat(
        { worker_pool_id: poolId, started_at: startedAt, heartbeat_at: Math.floor(clock.now() / 1000), job_names: [...types.keys()], concurrency, status: 'Healthy' },
        config.pool.heartbeatIntervalMs * 3,
      );
      await worker.renewLeases();
    })().finally(() => (beating = undefined)));

  let server: RunningServer | undefined;
  const timers: NodeJS.Timeout[] = [];
  return {
    app,
    logger,
    async start() {
      await queue.start();
      await stops.start();
      await heartbeat();
      await reaper.adoptOrphans(poolId);
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
