import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { accessSync, constants, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

export type InfrastructureName = 'postgres' | 'redis' | 'rabbitmq';

export interface Endpoint {
  name: InfrastructureName;
  host: string;
  port: number;
}

/** Thrown when a server the suite needs is down and cannot be started here; the message says what to do. */
export class InfrastructureError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InfrastructureError';
  }
}

export function endpointOf(name: InfrastructureName, url: string): Endpoint {
  const parsed = new URL(url);
  const defaults: Record<InfrastructureName, number> = { postgres: 5432, redis: 6379, rabbitmq: 5672 };
  return { name, host: parsed.hostname || '127.0.0.1', port: Number(parsed.port || defaults[name]) };
}

/** True when something accepts TCP connections at the endpoint. */
export function isReachable(endpoint: Endpoint, timeoutMs = 1500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: endpoint.host, port: endpoint.port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function commandExists(command: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function run(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 });
  return result.status === 0;
}

/** Where a Redis the launcher starts keeps its append-only file and its log. */
export interface RedisPlace {
  dir: string;
  logFile: string;
}

function writable(dir: string): boolean {
  try {
    accessSync(dir, constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * The Debian package's /var/lib/redis (and /var/log/redis) for the usual port when this user
 * may write there; otherwise, or for another port, `<dataDir>/redis`.
 */
export function redisPlace(port: number, dataDir: string): RedisPlace {
  if (port === 6379 && writable('/var/lib/redis')) {
    return { dir: '/var/lib/redis', logFile: writable('/var/log/redis') ? '/var/log/redis/wharf.log' : '/var/lib/redis/wharf.log' };
  }
  const dir = join(dataDir, 'redis');
  mkdirSync(dir, { recursive: true });
  return { dir, logFile: join(dir, 'redis.log') };
}

/**
 * The arguments of a Redis the launcher starts: in the background, on loopback, with the
 * append-only file on (fsync every second), so that jobservice's job state and core's
 * sessions survive a Redis restart. RDB snapshots stay off: the AOF is the one copy.
 */
export function redisServerArgs(port: number, place: RedisPlace, bindIpv6 = true): string[] {
  return [
    '--daemonize', 'yes',
    '--bind', '127.0.0.1', ...(bindIpv6 ? ['-::1'] : []),
    '--port', String(port),
    '--appendonly', 'yes',
    '--appendfsync', 'everysec',
    '--save', '',
    '--dir', place.dir,
    '--logfile', place.logFile,
  ];
}

interface LocalStarter {
  installed: () => boolean;
  start: (endpoint: Endpoint, dataDir: string, report: (line: string) => void) => boolean;
  install: string;
}

/** How to start each server when it is installed on this machine but stopped (Debian packages). */
const localStarters: Record<InfrastructureName, LocalStarter> = {
  postgres: {
    installed: () => commandExists('pg_ctlcluster') && listVersions().length > 0,
    start: () => listVersions().some((version) => run('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'])),
    install: 'apt-get install postgresql',
  },
  redis: {
    installed: () => commandExists('redis-server'),
    start: (endpoint, dataDir, report) => {
      const place = redisPlace(endpoint.port, dataDir);
      report(`redis keeps its append-only file in ${place.dir} (log: ${place.logFile})`);
      // `-::1` binds IPv6 loopback when the machine has it; some Redis builds refuse it outright.
      return run('redis-server', redisServerArgs(endpoint.port, place)) || run('redis-server', redisServerArgs(endpoint.port, place, false));
    },
    install: 'apt-get install redis-server',
  },
  rabbitmq: {
    installed: () => commandExists('rabbitmq-server'),
    start: () => run('rabbitmq-server', ['-detached']),
    install: 'apt-get install rabbitmq-server',
  },
};

function listVersions(): string[] {
  try {
    return readdirSync('/etc/postgresql');
  } catch {
    return [];
  }
}

/** The compose file of the servers a local stack needs, used when a Docker engine is the only way to get them. */
export const LOCAL_INFRA_COMPOSE = 'deploy/compose.local-infra.yml';

function dockerEngineRunning(): boolean {
  return commandExists('docker') && spawnSync('docker', ['info'], { stdio: 'ignore', timeout: 10_000 }).status === 0;
}

async function waitUntilReachable(endpoint: Endpoint, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await isReachable(endpoint)) return true;
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
  return false;
}

/**
 * Makes sure every endpoint answers: a server that is down is started from the local
 * installation when there is one, else in a container when a Docker engine runs; otherwise
 * this throws, naming what is missing and how to get it. A Redis started here keeps an
 * append-only file (in /var/lib/redis, or under `dataDir`).
 */
export async function ensureInfrastructure(
  endpoints: readonly Endpoint[],
  report: (line: string) => void,
  rootDir = process.cwd(),
  dataDir = join(rootDir, 'data'),
): Promise<void> {
  for (const endpoint of endpoints) {
    if (await isReachable(endpoint)) continue;
    const local = localStarters[endpoint.name];
    const where = `${endpoint.host}:${endpoint.port}`;
    const isLocalHost = ['127.0.0.1', 'localhost', '::1'].includes(endpoint.host);
    if (!isLocalHost) {
      throw new InfrastructureError(`${endpoint.name} at ${where} does not answer; it is not on this machine, so start it where it runs`);
    }
    if (local.installed()) {
      report(`starting the local ${endpoint.name} (${where})`);
      local.start(endpoint, dataDir, report);
    } else if (dockerEngineRunning()) {
      report(`starting ${endpoint.name} with docker compose (${LOCAL_INFRA_COMPOSE}, ${where})`);
      if (!run('docker', ['compose', '-f', join(rootDir, LOCAL_INFRA_COMPOSE), 'up', '-d', '--wait', endpoint.name])) {
        throw new InfrastructureError(`docker compose could not start ${endpoint.name}; see: docker compose -f ${LOCAL_INFRA_COMPOSE} logs ${endpoint.name}`);
      }
    } else {
      throw new InfrastructureError(
        `${endpoint.name} is not running at ${where}, is not installed, and no Docker engine runs here: ` +
          `install it (${local.install}) or start a Docker engine, then run the command again`,
      );
    }
    if (!(await waitUntilReachable(endpoint, 90_000))) {
      throw new InfrastructureError(`${endpoint.name} did not come up at ${where} within 90 s`);
    }
  }
}
