import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readdirSync } from 'node:fs';
import { chown, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import amqp from 'amqplib';
import pg from 'pg';
import { freePort } from './free-port.js';
import { accountOf, forgetDir, isRoot, removeDirOnExit, spawnOwned, tailOf, waitUntil, type Account, type OwnedProcess } from './owned-process.js';

const execFileAsync = promisify(execFile);

/** When a restarted server went down and when it took clients again (epoch ms). */
export interface RestartTimes {
  /** The server process had exited: from here on, clients are refused. */
  downAt: number;
  /** The server accepts clients again (a real client call succeeded). */
  upAt: number;
}

/**
 * A Postgres, Redis or RabbitMQ server of the caller's own, on a free port of 127.0.0.1 with
 * its data in a temp dir: a test may stop and restart it without disturbing the machine's
 * shared servers or any other test.
 */
export interface PrivateServer<Mode extends string> {
  /** What clients connect to. */
  url: string;
  port: number;
  /** The server's temp dir (data, sockets, logs); removed by `stop`. */
  dir: string;
  /** The server's own output (for failure messages). */
  logFile: string;
  /**
   * Stops the server for real (`mode`), keeps it down `downMs` (default 0), then starts it
   * again on the same port with the same data dir; resolves once a client call succeeds.
   */
  restart(downMs?: number, options?: { mode?: Mode }): Promise<RestartTimes>;
  /** The last lines of the server's output. */
  logTail(): Promise<string>;
  /** Stops the server and removes its temp dir. Safe to call twice, and after a failed restart. */
  stop(): Promise<void>;
}

interface Lifecycle<Mode extends string> {
  label: string;
  dir: string;
  logFile: string;
  start(): Promise<OwnedProcess>;
  halt(process: OwnedProcess, mode: Mode | undefined): Promise<void>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The start/restart/stop bookkeeping shared by the three servers. */
async function managed<Mode extends string>(life: Lifecycle<Mode>, port: number, url: string): Promise<PrivateServer<Mode>> {
  let current: OwnedProcess | undefined;
  let stopped = false;
  let busy: Promise<unknown> = Promise.resolve();
  const cleanup = async () => {
    forgetDir(life.dir);
    await rm(life.dir, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  };
  try {
    current = await life.start();
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  return {
    url,
    port,
    dir: life.dir,
    logFile: life.logFile,
    logTail: () => tailOf(life.logFile),
    restart(downMs = 0, options = {}) {
      const run = busy.then(async () => {
        if (stopped) throw new Error(`the private ${life.label} was stopped`);
        if (current) await life.halt(current, options.mode);
        current = undefined;
        const downAt = Date.now();
        if (downMs > 0) await sleep(downMs);
        current = await life.start();
        return { downAt, upAt: Date.now() };
      });
      busy = run.catch(() => undefined);
      return run;
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await busy;
      if (current) await life.halt(current, undefined).catch(() => current?.stop('SIGKILL', 5000));
      current = undefined;
      await cleanup();
    },
  };
}

async function makeDir(label: string, owner: Account | undefined): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), `wharf-${label}-`));
  removeDirOnExit(dir);
  if (owner) await chown(dir, owner.uid, owner.gid);
  return dir;
}

/** Writes `content` to `path`, owned by `owner` (the account the server runs as). */
async function writeOwned(path: string, content: string, owner: Account | undefined): Promise<void> {
  await writeFile(path, content);
  if (owner) await chown(path, owner.uid, owner.gid);
}

async function mkdirOwned(path: string, owner: Account | undefined): Promise<void> {
  await mkdir(path, { recursive: true });
  if (owner) await chown(path, owner.uid, owner.gid);
}

/** As root, a server runs as its own account (`postgres` refuses root); otherwise as this user. */
function serverAccount(name: string): Account | undefined {
  if (!isRoot()) return undefined;
  const account = accountOf(name);
  if (!account) throw new Error(`no ${name} account on this machine: install the server's Debian package`);
  return account;
}

const BASE_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

// ---------------------------------------------------------------------------------------
// Postgres

export type PostgresStopMode = 'fast' | 'immediate';

export interface PrivatePostgres extends PrivateServer<PostgresStopMode> {
  /** The URL of database `name` on this server (it exists once someone creates it, e.g. `ensureDatabase`). */
  databaseUrl(name: string): string;
}

/** The bin dir of the newest Postgres under /usr/lib/postgresql (Debian's layout). */
function postgresBinDir(): string {
  const root = '/usr/lib/postgresql';
  const versions = existsSync(root) ? readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'postgres'))) : [];
  versions.sort((a, b) => Number(b) - Number(a));
  if (!versions[0]) throw new Error('no Postgres server under /usr/lib/postgresql: apt-get install postgresql');
  return join(root, versions[0], 'bin');
}

async function postgresAnswers(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return true;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * A Postgres cluster of its own (initdb into a temp dir, trust auth, user `postgres`), on a
 * free port of 127.0.0.1 with its unix socket in the temp dir. `restart` stops it as
 * `pg_ctl stop -m fast` (default) or `-m immediate` does (SIGINT / SIGQUIT to the postmaster)
 * and starts it again: every connection is cut, as in a real restart.
 */
export async function startPrivatePostgres(options: { label?: string } = {}): Promise<PrivatePostgres> {
  const account = serverAccount('postgres');
  const bin = postgresBinDir();
  const dir = await makeDir(`pg-${options.label ?? 'test'}`, account);
  const dataDir = join(dir, 'data');
  const logFile = join(dir, 'postgres.log');
  await writeOwned(logFile, '', account);
  const port = await freePort();
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  const env = { PATH: BASE_PATH, LANG: 'C', LC_ALL: 'C', TZ: 'UTC' };
  try {
    await execFileAsync(join(bin, 'initdb'), ['-D', dataDir, '-A', 'trust', '-U', 'postgres', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], {
      cwd: dir,
      env,
      ...(account ? { uid: account.uid, gid: account.gid } : {}),
    });
  } catch (error) {
    forgetDir(dir);
    await rm(dir, { recursive: true, force: true });
    throw new Error(`initdb failed: ${(error as Error).message}`, { cause: error });
  }
  // fsync off: only an OS crash could lose data, and a restart of the server is what is tested.
  const args = ['-D', dataDir, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'max_connections=300'];
  const server = await managed<PostgresStopMode>(
    {
      label: 'postgres',
      dir,
      logFile,
      async start() {
        const owned = spawnOwned(join(bin, 'postgres'), args, { env, cwd: dir, logFile, account });
        await waitUntil(`postgres on port ${port}`, () => postgresAnswers(url), owned, logFile, 60_000).catch(async (error: unknown) => {
          await owned.stop('SIGQUIT', 5000);
          throw error;
        });
        return owned;
      },
      halt: (owned, mode) => owned.stop(mode === 'immediate' ? 'SIGQUIT' : 'SIGINT', 30_000),
    },
    port,
    url,
  );
  return {
    ...server,
    databaseUrl(name) {
      return `postgres://postgres@127.0.0.1:${port}/${encodeURIComponent(name)}`;
    },
  };
}

// ---------------------------------------------------------------------------------------
// Redis

export type RedisStopMode = 'shutdown' | 'kill';

/** True when a `PING` on a fresh connection answers `+PONG`. */
function redisAnswers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    let answer = '';
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(2000, () => done(false));
    socket.once('error', () => done(false));
    socket.once('connect', () => socket.write('PING\r\n'));
    socket.on('data', (chunk: Buffer) => {
      answer += chunk.toString('latin1');
      if (answer.includes('\r\n')) done(answer.startsWith('+PONG'));
    });
  });
}

/**
 * A redis-server of its own on a free port, configured as the machine's (`--save ''
 * --appendonly no`), so a restart loses every key: the hard case Wharf must survive.
 * `restart` stops it with SIGTERM (`shutdown`, as SHUTDOWN NOSAVE: nothing is saved) or
 * SIGKILL (`kill`) and starts it again empty.
 */
export async function startPrivateRedis(options: { label?: string } = {}): Promise<PrivateServer<RedisStopMode>> {
  const dir = await makeDir(`redis-${options.label ?? 'test'}`, undefined);
  const logFile = join(dir, 'redis.log');
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, '--protected-mode', 'no', '--daemonize', 'no', '--logfile', ''];
  return managed<RedisStopMode>(
    {
      label: 'redis',
      dir,
      logFile,
      async start() {
        // Nothing may come back from an earlier life of the server.
        await rm(join(dir, 'dump.rdb'), { force: true });
        const owned = spawnOwned('redis-server', args, { env: { PATH: BASE_PATH }, cwd: dir, logFile });
        await waitUntil(`redis on port ${port}`, () => redisAnswers(port), owned, logFile, 30_000).catch(async (error: unknown) => {
          await owned.stop('SIGKILL', 5000);
          throw error;
        });
        return owned;
      },
      halt: (owned, mode) => owned.stop(mode === 'kill' ? 'SIGKILL' : 'SIGTERM', 10_000),
    },
    port,
    `redis://127.0.0.1:${port}`,
  );
}

// ---------------------------------------------------------------------------------------
// RabbitMQ

export type RabbitStopMode = 'stop' | 'kill';

export interface PrivateRabbit extends PrivateServer<RabbitStopMode> {
  /** The Erlang node name (`wharf-…@localhost`), for `rabbitmqctl -n`. */
  nodeName: string;
  /** Runs `rabbitmqctl -n <node> …args` (as the rabbitmq account) and returns its output. */
  ctl(args: readonly string[]): Promise<string>;
}

const RABBIT_BIN = '/usr/lib/rabbitmq/bin';

async function amqpAnswers(url: string): Promise<boolean> {
  const connection = await amqp.connect(url, { timeout: 2000 });
  connection.on('error', () => undefined);
  await connection.close();
  return true;
}

/**
 * A second RabbitMQ node of its own (`wharf-<id>@localhost`, run as the rabbitmq account with
 * the machine's Erlang cookie), its AMQP and distribution ports free ones of 127.0.0.1, its
 * config, plugins (none), database and logs in a temp dir. `restart` stops the whole node
 * (`stop`: SIGTERM, a clean shutdown; `kill`: SIGKILL, a crash) and boots it again on the same
 * database, so durable queues and persistent messages come back as after a real restart.
 * (RabbitMQ 3.10's `stop_app`/`start_app` cannot be used: `start_app` fails on such a node
 * with `eaddrinuse` for its own AMQP port.)
 */
export async function startPrivateRabbit(options: { label?: string } = {}): Promise<PrivateRabbit> {
  if (!existsSync(join(RABBIT_BIN, 'rabbitmq-server'))) throw new Error(`no ${RABBIT_BIN}/rabbitmq-server: apt-get install rabbitmq-server`);
  const account = isRoot() ? serverAccount('rabbitmq') : undefined;
  const label = (options.label ?? 'test').toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const dir = await makeDir(`rabbit-${label}`, account);
  const nodeName = `wharf-${label}-${randomBytes(4).toString('hex')}@localhost`;
  const logFile = join(dir, 'rabbitmq-server.log');
  const port = await freePort();
  let distPort = await freePort();
  while (distPort === port) distPort = await freePort();
  const url = `amqp://guest:guest@127.0.0.1:${port}`;
  for (const sub of ['mnesia', 'log']) await mkdirOwned(join(dir, sub), account);
  await writeOwned(join(dir, 'enabled_plugins'), '[].\n', account);
  await writeOwned(join(dir, 'rabbitmq-env.conf'), '', account);
  await writeOwned(join(dir, 'rabbitmq.conf'), `listeners.tcp.local = 127.0.0.1:${port}\n`, account);
  await writeOwned(logFile, '', account);
  const env: NodeJS.ProcessEnv = {
    PATH: BASE_PATH,
    // The cookie (~/.erlang.cookie) is the machine's, so rabbitmqctl reaches this node too.
    HOME: account?.home ?? process.env.HOME,
    LANG: 'C.UTF-8',
    LC_ALL: 'C.UTF-8',
    ERL_EPMD_ADDRESS: '127.0.0.1',
    RABBITMQ_NODENAME: nodeName,
    RABBITMQ_DIST_PORT: String(distPort),
    RABBITMQ_CONF_ENV_FILE: join(dir, 'rabbitmq-env.conf'),
    RABBITMQ_CONFIG_FILE: join(dir, 'rabbitmq.conf'),
    RABBITMQ_ADVANCED_CONFIG_FILE: join(dir, 'advanced.config'),
    RABBITMQ_MNESIA_BASE: join(dir, 'mnesia'),
    RABBITMQ_LOG_BASE: join(dir, 'log'),
    RABBITMQ_PID_FILE: join(dir, 'rabbitmq.pid'),
    RABBITMQ_ENABLED_PLUGINS_FILE: join(dir, 'enabled_plugins'),
    RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS: '-kernel inet_dist_use_interface {127,0,0,1}',
  };
  const server = await managed<RabbitStopMode>(
    {
      label: 'rabbitmq',
      dir,
      logFile,
      async start() {
        const owned = spawnOwned(join(RABBIT_BIN, 'rabbitmq-server'), [], { env, cwd: dir, logFile, account });
        await waitUntil(`rabbitmq node ${nodeName}`, () => amqpAnswers(url), owned, logFile, 120_000).catch(async (error: unknown) => {
          await owned.stop('SIGKILL', 5000);
          throw new Error(`${(error as Error).message}\n--- node log ---\n${await tailOf(join(dir, 'log', `${nodeName}.log`))}`, { cause: error });
        });
        return owned;
      },
      // The start script traps SIGTERM and stops the node cleanly; SIGKILL takes the group down at once.
      halt: (owned, mode) => owned.stop(mode === 'kill' ? 'SIGKILL' : 'SIGTERM', 60_000),
    },
    port,
    url,
  );
  return {
    ...server,
    nodeName,
    async ctl(args) {
      const { stdout } = await execFileAsync(join(RABBIT_BIN, 'rabbitmqctl'), ['-n', nodeName, ...args], {
        env,
        cwd: dir,
        timeout: 60_000,
        ...(account ? { uid: account.uid, gid: account.gid } : {}),
      });
      return stdout;
    },
  };
}
