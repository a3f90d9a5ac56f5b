#!/usr/bin/env node
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { ensureDebianTools } from './debian-packages.js';
import { endpointOf, ensureInfrastructure } from './infrastructure.js';
import { keepsNothingOnDisk, readRedisPersistence, redisPersistenceWarning } from './redis-persistence.js';
import { replicasFromEnv } from './replicas.js';
import { DEVELOPMENT_ADMIN_PASSWORD, startStack } from './stack.js';
import { testTools } from './test-tools.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const say = (line: string): void => void process.stdout.write(`wharf: ${line}\n`);

const defaults = {
  DATABASE_URL: 'postgres://postgres@127.0.0.1:5432/wharf',
  REDIS_URL: 'redis://127.0.0.1:6379',
  AMQP_URL: 'amqp://guest:guest@127.0.0.1:5672',
};

function setting(name: keyof typeof defaults): string {
  return process.env[name] || defaults[name];
}

/** Warns once when the Redis in use keeps nothing on disk (its configuration is left as it is). */
async function checkRedisPersistence(redisUrl: string): Promise<void> {
  const endpoint = endpointOf('redis', redisUrl);
  const persistence = await readRedisPersistence(redisUrl).catch(() => undefined);
  if (persistence && keepsNothingOnDisk(persistence)) say(redisPersistenceWarning(endpoint.host, endpoint.port));
}

async function start(): Promise<void> {
  const databaseUrl = setting('DATABASE_URL');
  // A wrong count stops the start before anything runs.
  const replicas = replicasFromEnv(process.env);
  const dataDir = resolve(process.env.WHARF_DATA_DIR || join(ROOT, 'data'));
  await ensureInfrastructure(
    [endpointOf('postgres', databaseUrl), endpointOf('redis', setting('REDIS_URL')), endpointOf('rabbitmq', setting('AMQP_URL'))],
    say,
    ROOT,
    dataDir,
  );
  await checkRedisPersistence(setting('REDIS_URL'));
  const registryPort = Number(process.env.REGISTRY_HTTP_PORT || 5000);
  const corePort = Number(process.env.CORE_HTTP_PORT || 8081);
  const jobservicePort = Number(process.env.JOBSERVICE_HTTP_PORT || 8082);
  const adapterPort = Number(process.env.ADAPTER_HTTP_PORT || 8083);
  const proxyPort = Number(process.env.PROXY_HTTP_PORT || 8080);
  say(`data in ${dataDir}, metadata in ${databaseUrl.replace(/\/\/[^@/]*@/, '//')}`);
  const adminPassword = process.env.WHARF_ADMIN_PASSWORD || DEVELOPMENT_ADMIN_PASSWORD;
  const stack = await startStack({
    rootDir: ROOT,
    dataDir,
    databaseUrl,
    registryPort,
    corePort,
    jobservicePort,
    adapterPort,
    proxyPort,
    redisUrl: setting('REDIS_URL'),
    amqpUrl: setting('AMQP_URL'),
    adminPassword,
    replicas,
    env: { LOG_FORMAT: process.env.LOG_FORMAT || 'pretty' },
    // The supervisor names a service that died, its exit status and its log, and starts it again.
    report: say,
  });
  const several = Object.entries(replicas).filter(([, count]) => count > 1);
  if (several.length > 0) say(`replicas: ${several.map(([service, count]) => `${service} ×${count}`).join(', ')} (logs per replica, e.g. ${several[0]![0]}-1)`);
  say(`ready: Wharf is at ${stack.url ?? stack.registryUrl} (docker login ${new URL(stack.url ?? stack.registryUrl).host})`);
  say(
    process.env.WHARF_ADMIN_PASSWORD
      ? 'sign in as admin with the password in WHARF_ADMIN_PASSWORD'
      : `sign in as admin / ${DEVELOPMENT_ADMIN_PASSWORD} (the development default; set WHARF_ADMIN_PASSWORD before the first start to choose another)`,
  );
  say('a service that exits is started again; press Ctrl-C to stop');

  // The first Ctrl-C (or SIGTERM) stops every service cleanly; a second one kills them.
  let signals = 0;
  const stop = (): void => {
    signals += 1;
    if (signals === 1) {
      say('stopping (Ctrl-C again to kill the services at once)');
      // Once a second Ctrl-C kills the services, the clean stop finishing too must not decide the exit status.
      stack.stop().then(
        () => signals === 1 && process.exit(0),
        () => signals === 1 && process.exit(1),
      );
    } else if (signals === 2) {
      say('killing the services');
      void stack.kill().finally(() => process.exit(130));
    }
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

async function prepareTest(): Promise<void> {
  ensureDebianTools(testTools, say);
  await ensureInfrastructure(
    [
      endpointOf('postgres', setting('DATABASE_URL')),
      endpointOf('redis', setting('REDIS_URL')),
      endpointOf('rabbitmq', setting('AMQP_URL')),
    ],
    say,
    ROOT,
    resolve(process.env.WHARF_DATA_DIR || join(ROOT, 'data')),
  );
}

const { positionals } = parseArgs({ allowPositionals: true, options: {} });
const commands: Record<string, () => Promise<void>> = { start, 'prepare-test': prepareTest };
const command = commands[positionals[0] ?? ''];
if (!command) {
  process.stderr.write('usage: wharf <start|prepare-test>\n');
  process.exit(2);
}
command().catch((error: unknown) => {
  process.stderr.write(`wharf: ${(error as Error).message}\n`);
  process.exit(1);
});
