import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { startServiceProcess, type ServiceProcess } from '@wharf/launcher';
import { createTestRedisNamespace, freePort, type TestRedisNamespace } from '@wharf/testing';
import type { JobStatsV1, JobStatusHookV1 } from '@wharf/contracts';

const ENTRY = join(dirname(fileURLToPath(import.meta.url)), '../../dist/main.js');
export const SECRET = 'integration-secret-42';
export const AUTH = { Authorization: `Harbor-Secret ${SECRET}` };

export interface JobserviceProcess {
  url: string;
  current(): ServiceProcess;
  start(): Promise<void>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  /** This process's own log file (its winston output), all of its runs. */
  processLog(): Promise<string>;
}

/** A Redis key prefix, a queue prefix and a log dir of the test's own, shared by the processes it starts. */
export interface Namespace {
  redis: TestRedisNamespace;
  queuePrefix: string;
  dir: string;
  processes: JobserviceProcess[];
  /** Starts a jobservice process (dist/main.js) in this namespace. */
  spawn(env?: Record<string, string>): Promise<JobserviceProcess>;
  /** A Redis client of the test's own (on the machine's Redis: touch only keys under `redis.prefix`). */
  redisClient(): Redis;
  /** Ids in the publish schedule (scheduled jobs, retries, re-queued jobs). */
  scheduled(): Promise<string[]>;
  /** Ready messages in a job type's queue. */
  queueDepth(name: string): Promise<number>;
  cleanup(): Promise<void>;
}

const SHARED_AMQP_URL = process.env.TEST_AMQP_URL || 'amqp://guest:guest@127.0.0.1:5672';

/**
 * A namespace on the machine's Redis and RabbitMQ, or on private servers of the test's own
 * (`redisUrl`, `amqpUrl`: a test that restarts a server uses its own, never the shared one).
 */
export async function createNamespace(label: string, servers: { redisUrl?: string; amqpUrl?: string } = {}): Promise<Namespace> {
  const shared = await createTestRedisNamespace(`js-${label}`);
  const redis: TestRedisNamespace = servers.redisUrl ? { ...shared, url: servers.redisUrl } : shared;
  const amqpUrl = servers.amqpUrl ?? SHARED_AMQP_URL;
  const queuePrefix = `test.${label}.${randomBytes(4).toString('hex')}.`;
  const dir = await mkdtemp(join(tmpdir(), `wharf-jobservice-${label}-`));
  const processes: JobserviceProcess[] = [];
  let client: Redis | undefined;
  const redisClient = (): Redis => {
    if (!client) {
      client = new Redis(redis.url, { maxRetriesPerRequest: 3 });
      client.on('error', () => undefined); // a private server the test restarts
    }
    return client;
  };
  return {
    redis,
    queuePrefix,
    dir,
    processes,
    redisClient,
    scheduled: () => redisClient().zrange(`${redis.prefix}scheduled`, '0', '-1'),
    queueDepth: async (name) => {
      const { connect } = await import('amqplib');
      const model = await connect(amqpUrl);
      try {
        const channel = await model.createChannel();
        return (await channel.checkQueue(`${queuePrefix}jobs.${name}`)).messageCount;
      } finally {
        await model.close();
      }
    },
    async spawn(env = {}) {
      const port = await freePort();
      const index = processes.length;
      const logFile = join(dir, `process-${index}.log`);
      const url = `http://127.0.0.1:${port}`;
      let current: ServiceProcess | undefined;
      const start = async (): Promise<void> => {
        current = await startServiceProcess({
          name: `jobservice-${index}`,
          entry: ENTRY,
          readyUrl: `${url}/readyz`,
          logFile,
          env: {
            PATH: process.env.PATH,
            JOBSERVICE_HTTP_PORT: String(port),
            JOBSERVICE_SECRET: SECRET,
            REDIS_URL: redis.url,
            JOBSERVICE_REDIS_PREFIX: redis.prefix,
            AMQP_URL: amqpUrl,
            JOBSERVICE_QUEUE_PREFIX: queuePrefix,
            JOBSERVICE_LOG_DIR: join(dir, 'logs'),
            JOBSERVICE_WORKER_POOL_ID: `pool-${index}-${randomBytes(3).toString('hex')}`,
            JOBSERVICE_HEARTBEAT_INTERVAL: '1s',
            JOBSERVICE_REAPER_INTERVAL: '3s',
            JOBSERVICE_RETRY_BASE_DELAY: '200ms',
            JOBSERVICE_HOOK_MIN_BACKOFF: '200ms',
            JOBSERVICE_HOOK_MAX_BACKOFF: '2s',
            JOBSERVICE_HOOK_TIMEOUT: '5s',
            LOG_LEVEL: 'info',
            ...env,
          },
        });
      };
      await start();
      const handle: JobserviceProcess = {
        url,
        current: () => current!,
        start,
        kill: async () => current?.kill(),
        stop: async () => current?.stop(),
        processLog: () => readFile(logFile, 'utf8').catch(() => ''),
      };
      processes.push(handle);
      return handle;
    },
    async cleanup() {
      await Promise.all(processes.map((p) => p.stop().catch(() => undefined)));
      await deleteQueues(amqpUrl, queuePrefix).catch(() => undefined);
      client?.disconnect();
      // Keys on the shared Redis (a private one goes with its server).
      if (!servers.redisUrl) await redis.cleanup();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

async function deleteQueues(amqpUrl: string, prefix: string): Promise<void> {
  const { connect } = await import('amqplib');
  const model = await connect(amqpUrl);
  const channel = await model.createChannel();
  for (const name of ['DEMO', 'REPLICATION', 'GARBAGE_COLLECTION', 'SCHEDULER']) {
    await channel.deleteQueue(`${prefix}jobs.${name}`);
    await channel.deleteQueue(`${prefix}jobs.${name}.dlq`);
  }
  await model.close();
}

/** A status hook receiver that records every hook, and can go down and come back on the same port. */
export class HookReceiver {
  readonly hooks: (JobStatusHookV1 & { authorization?: string; at: number })[] = [];
  port = 0;
  #server: Server | undefined;

  get url(): string {
    return `http://127.0.0.1:${this.port}/service/notifications/tasks/1`;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    this.#server = createServer((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        this.hooks.push({ ...(JSON.parse(body) as JobStatusHookV1), authorization: req.headers.authorization, at: Date.now() });
        res.writeHead(200).end('ok');
      });
    });
    await new Promise<void>((resolve) => this.#server!.listen(this.port, '127.0.0.1', resolve));
  }

  async stop(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  of(jobId: string): (JobStatusHookV1 & { at: number })[] {
    return this.hooks.filter((hook) => hook.job_id === jobId);
  }
}

export async function launch(url: string, job: Record<string, unknown>): Promise<JobStatsV1> {
  const res = await fetch(`${url}/api/v1/jobs`, {
    method: 'POST',
    headers: { ...AUTH, 'Content-Type': 'application/json' },
    body: JSON.stringify({ job: { parameters: {}, metadata: { kind: 'Generic' }, ...job } }),
  });
  if (res.status !== 202) throw new Error(`launch answered ${res.status}: ${await res.text()}`);
  return ((await res.json()) as { job: JobStatsV1 }).job;
}

export async function getJob(url: string, id: string): Promise<JobStatsV1> {
  const res = await fetch(`${url}/api/v1/jobs/${id}`, { headers: AUTH });
  if (res.status !== 200) throw new Error(`get answered ${res.status}`);
  return ((await res.json()) as { job: JobStatsV1 }).job;
}

export async function jobLog(url: string, id: string): Promise<string> {
  const res = await fetch(`${url}/api/v1/jobs/${id}/log`, { headers: AUTH });
  if (res.status !== 200) throw new Error(`log answered ${res.status}`);
  return res.text();
}

export async function stopJob(url: string, id: string): Promise<number> {
  const res = await fetch(`${url}/api/v1/jobs/${id}`, { method: 'POST', headers: { ...AUTH, 'Content-Type': 'application/json' }, body: '{"action":"stop"}' });
  return res.status;
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 20_000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
