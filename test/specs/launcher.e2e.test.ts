import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readRedisPersistence, keepsNothingOnDisk } from '@wharf/launcher';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createTestDatabase, createTestRedisNamespace, freePort, HarborClient, TestRegistryClient, type TestDatabase, type TestRedisNamespace } from '@wharf/testing';
import { ROOT_DIR } from '../src/stack.js';
import { startSuite } from '../src/suite.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

const CLI = join(ROOT_DIR, 'tools/launcher/dist/cli.js');

interface Started {
  child: ChildProcess;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  exited: Promise<number | null>;
}

/** Runs the launcher's `start` the way `npm start` does (after install and build). */
function launch(env: NodeJS.ProcessEnv): Started {
  const child = spawn(process.execPath, [CLI, 'start'], { cwd: ROOT_DIR, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let text = '';
  child.stdout.on('data', (chunk: Buffer) => (text += chunk.toString()));
  child.stderr.on('data', (chunk: Buffer) => (text += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, output: () => text, exited };
}

async function waitFor(started: Started, pattern: RegExp, timeoutMs = 120_000): Promise<RegExpExecArray> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const match = pattern.exec(started.output());
    if (match) return match;
    if (started.child.exitCode !== null || Date.now() > deadline) throw new Error(`no ${pattern} in the launcher's output:\n${started.output()}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

async function refused(url: string): Promise<boolean> {
  try {
    await fetch(url, { signal: AbortSignal.timeout(2000) });
    return false;
  } catch {
    return true;
  }
}

/** The processes the launcher started (its children), by service name: `services/<name>/dist/main.js`. */
function servicePids(launcherPid: number): Map<string, number> {
  const found = new Map<string, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parentPid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (parentPid !== launcherPid) continue;
      const service = /services\/([a-z-]+)\/dist\/main\.js/.exec(readFileSync(`/proc/${entry}/cmdline`, 'utf8'));
      if (service) found.set(service[1]!, Number(entry));
    } catch {
      // the process ended while we looked
    }
  }
  return found;
}

const hasRedisServer = spawnSync('sh', ['-c', 'command -v redis-server && command -v redis-cli'], { stdio: 'ignore' }).status === 0;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe('npm start: the local stack', () => {
  let temp: TempDir;
  let db: TestDatabase;
  let redis: TestRedisNamespace;
  let env: NodeJS.ProcessEnv;
  let ports: { proxy: number; core: number; registry: number; jobservice: number; adapter: number };
  const password = 'Launcher-Admin-2026';
  const running: Started[] = [];
  /** Redis servers a test had the launcher start; shut down at the end. */
  const privateRedisPorts: number[] = [];

  beforeAll(async () => {
    temp = await createTempDir('launcher');
    db = await createTestDatabase('launcher');
    redis = await createTestRedisNamespace('launcher');
    ports = { proxy: await freePort(), core: await freePort(), registry: await freePort(), jobservice: await freePort(), adapter: await freePort() };
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      CORE_REDIS_PREFIX: redis.prefix,
      // jobservice's keys and queues in this run's namespace too (as startStack's redisPrefix does).
      JOBSERVICE_REDIS_PREFIX: `${redis.prefix}jobservice:`,
      JOBSERVICE_QUEUE_PREFIX: redis.prefix,
      WHARF_DATA_DIR: join(temp.path, 'data'),
      WHARF_ADMIN_PASSWORD: password,
      PROXY_HTTP_PORT: String(ports.proxy),
      CORE_HTTP_PORT: String(ports.core),
      REGISTRY_HTTP_PORT: String(ports.registry),
      JOBSERVICE_HTTP_PORT: String(ports.jobservice),
      ADAPTER_HTTP_PORT: String(ports.adapter),
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    for (const started of running) if (started.child.exitCode === null) started.child.kill('SIGKILL');
    for (const port of privateRedisPorts) spawnSync('redis-cli', ['-p', String(port), 'SHUTDOWN', 'NOSAVE'], { stdio: 'ignore', timeout: 10_000 });
    await db?.drop().catch(() => undefined);
    await redis?.cleanup().catch(() => undefined);
    await temp?.remove();
  });

  it('starts every service behind the proxy, prints the URL and the admin login, and stops them all on Ctrl-C', async () => {
    const first = launch(env);
    running.push(first);
    const ready = await waitFor(first, /ready: Wharf is at (\S+)/);
    expect(ready[1]).toBe(`http://127.0.0.1:${ports.proxy}`);
    expect(first.output()).toContain('sign in as admin with the password in WHARF_ADMIN_PASSWORD');
    expect(first.output()).toContain('press Ctrl-C to stop');
    // The machine's Redis keeps nothing on disk (TESTING.md): npm start says so, once, and how to change it.
    const persistence = await readRedisPersistence(redis.url);
    const warning = /warning: the Redis at \S+ keeps nothing on disk/g;
    expect(first.output().match(warning)?.length ?? 0).toBe(persistence && keepsNothingOnDisk(persistence) ? 1 : 0);
    if (persistence && keepsNothingOnDisk(persistence)) expect(first.output()).toContain('CONFIG SET appendonly yes');

    const admin = new HarborClient(ready[1]!, { username: 'admin', password });
    expect((await admin.get('/users/current')).status).toBe(200);
    await admin.createProject('kept');
    const issued = await admin.token(['repository:kept/app:pull,push']);
    expect(issued.status).toBe(200);
    const blob = Buffer.from('kept across restarts');
    const registry = new TestRegistryClient(ready[1]!, { token: issued.body.token });
    const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
    expect((await registry.pushBlob('kept/app', { bytes: blob, digest })).status).toBe(201);

    first.child.kill('SIGINT');
    expect(await first.exited).toBe(0);
    expect(first.output()).toContain('stopping');
    for (const port of Object.values(ports)) expect(await refused(`http://127.0.0.1:${port}/healthz`), `port ${port} is closed`).toBe(true);

    // A second start reuses the data: the project, the blob, the admin password and the token signing key.
    const second = launch(env);
    running.push(second);
    await waitFor(second, /ready: Wharf is at/);
    expect((await admin.get<{ name: string }>('/projects/kept')).body.name).toBe('kept');
    const pulled = await registry.request('GET', `/v2/kept/app/blobs/${digest}`);
    expect(pulled.status, 'a token issued before the restart still verifies').toBe(200);
    expect(pulled.body).toEqual(blob);
    second.child.kill('SIGTERM');
    expect(await second.exited).toBe(0);
  });

  it('starts a service killed with kill -9 again by itself, naming it and its log, and Ctrl-C still stops everything', async () => {
    const started = launch(env);
    running.push(started);
    const ready = await waitFor(started, /ready: Wharf is at (\S+)/);
    expect(started.output()).toContain('a service that exits is started again');
    const before = servicePids(started.child.pid!);
    expect([...before.keys()].sort()).toEqual(['adapter', 'core', 'jobservice', 'proxy', 'registry-facade']);
    const admin = new HarborClient(ready[1]!, { username: 'admin', password });
    expect((await admin.get('/users/current')).status).toBe(200);

    process.kill(before.get('core')!, 'SIGKILL');
    await waitFor(started, /core exited \(SIGKILL\); restarting in 1 s — log: this terminal \(lines prefixed \[core\]\)/, 30_000);
    const back = await waitFor(started, /core is running again \(pid (\d+)\)/, 120_000);
    const corePid = Number(back[1]);
    expect(corePid).not.toBe(before.get('core'));
    const after = servicePids(started.child.pid!);
    expect(after.get('core'), 'the new core is a child of the launcher').toBe(corePid);
    for (const name of ['registry-facade', 'adapter', 'jobservice', 'proxy']) expect(after.get(name), `${name} kept running`).toBe(before.get(name));
    // Ready again: the proxy reaches the new core, which still knows the admin.
    expect((await admin.get('/users/current')).status).toBe(200);
    expect(started.child.exitCode, 'the launcher kept running').toBeNull();

    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
    expect(started.output()).not.toMatch(/(registry-facade|adapter|jobservice|proxy|core) exited \((0|SIGTERM|SIGINT)\)/);
    for (const [name, pid] of after) expect(alive(pid), `${name} (pid ${pid}) stopped`).toBe(false);
    for (const port of Object.values(ports)) expect(await refused(`http://127.0.0.1:${port}/healthz`), `port ${port} is closed`).toBe(true);
  });

  it('a second Ctrl-C kills the services at once', async () => {
    const started = launch(env);
    running.push(started);
    await waitFor(started, /ready: Wharf is at/);
    const pids = servicePids(started.child.pid!);
    expect(pids.size).toBe(5);
    // The proxy, stopped first, is frozen: the clean stop waits on it, and the second Ctrl-C lands meanwhile.
    process.kill(pids.get('proxy')!, 'SIGSTOP');
    started.child.kill('SIGINT');
    await waitFor(started, /stopping/, 10_000);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(130);
    expect(started.output()).toContain('killing the services');
    for (const [name, pid] of pids) expect(alive(pid), `${name} (pid ${pid}) is gone`).toBe(false);
  });

  it.runIf(hasRedisServer)('starts a local Redis that is installed but not running with its append-only file on, under the data dir', async () => {
    const port = await freePort();
    privateRedisPorts.push(port);
    const dataDir = env.WHARF_DATA_DIR!;
    const started = launch({ ...env, REDIS_URL: `redis://127.0.0.1:${port}` });
    running.push(started);
    await waitFor(started, /ready: Wharf is at/);
    expect(started.output()).toContain(`starting the local redis (127.0.0.1:${port})`);
    expect(started.output()).toContain(`redis keeps its append-only file in ${join(dataDir, 'redis')}`);
    expect(started.output()).not.toMatch(/keeps nothing on disk/);
    expect(await readRedisPersistence(`redis://127.0.0.1:${port}`)).toEqual({ appendonly: 'yes', save: '' });
    const dir = spawnSync('redis-cli', ['-p', String(port), 'CONFIG', 'GET', 'dir'], { encoding: 'utf8' }).stdout.split('\n')[1];
    expect(dir).toBe(join(dataDir, 'redis'));
    expect(existsSync(join(dataDir, 'redis', 'appendonlydir')), 'the append-only file is written').toBe(true);
    started.child.kill('SIGINT');
    expect(await started.exited).toBe(0);
  });

  it('the compose file it falls back to (a Docker engine, no local servers) runs Redis with its append-only file on a volume', () => {
    const compose = parseYaml(readFileSync(join(ROOT_DIR, 'deploy/compose.local-infra.yml'), 'utf8')) as {
      services: Record<string, { command?: string[]; volumes?: string[] }>;
    };
    const redisService = compose.services.redis!;
    expect(redisService.command?.join(' ')).toMatch(/--appendonly yes/);
    expect(redisService.volumes).toContain('redis:/data');
  });

  it('stops with a message naming the server that is missing and how to get it', async () => {
    const broken = launch({ ...env, REDIS_URL: 'redis://redis.invalid:6379' });
    running.push(broken);
    expect(await broken.exited).toBe(1);
    expect(broken.output()).toMatch(/redis at redis\.invalid:6379 does not answer/);
  });

  it('refuses a setting that does not validate, naming the variable', async () => {
    const broken = launch({ ...env, CORE_TOKEN_TTL: 'soon' });
    running.push(broken);
    expect(await broken.exited).not.toBe(0);
    expect(broken.output()).toContain('CORE_TOKEN_TTL');
  });
});

describe('startStack: the supervisor as tests see it', () => {
  it('records a kill -9 from outside and brings the service back ready; a deliberate restart stays down for downMs and is not recorded', async () => {
    const suite = await startSuite('launcher-supervisor');
    try {
      const adapter = suite.stack.service('adapter');
      process.kill(adapter.pid, 'SIGKILL');
      const back = await suite.stack.waitUntilReady('adapter', { exceptPid: adapter.pid, timeoutMs: 60_000 });
      expect(back.pid).not.toBe(adapter.pid);
      expect(suite.stack.services.find((service) => service.name === 'adapter')).toBe(back);
      expect((await fetch(`${suite.adapterUrl}/readyz`)).status).toBe(200);
      expect(suite.stack.exits).toEqual([{ name: 'adapter', pid: adapter.pid, status: 'SIGKILL', at: expect.any(Date) }]);

      const core = suite.stack.service('core');
      const restarted = suite.stack.restart('core', { kill: true, downMs: 6000 });
      // Long past the supervisor's first wait (1 s) and a start: still down, as asked.
      await new Promise((resolve) => setTimeout(resolve, 5000));
      expect(await refused(`${suite.coreUrl}/healthz`), 'core stays down during downMs').toBe(true);
      const newCore = await restarted;
      expect(newCore.pid).not.toBe(core.pid);
      expect(suite.stack.service('core')).toBe(newCore);
      expect((await suite.admin.get('/users/current')).status).toBe(200);
      expect(suite.stack.exits, 'a deliberate kill is not an unexpected exit').toHaveLength(1);
    } finally {
      await suite.stop();
    }
  });
});
