import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, createTestRedisNamespace, freePort, HarborClient, TestRegistryClient, type TestDatabase, type TestRedisNamespace } from '@wharf/testing';
import { ROOT_DIR } from '../src/stack.js';
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

describe('npm start: the local stack', () => {
  let temp: TempDir;
  let db: TestDatabase;
  let redis: TestRedisNamespace;
  let env: NodeJS.ProcessEnv;
  let ports: { proxy: number; core: number; registry: number };
  const password = 'Launcher-Admin-2026';
  const running: Started[] = [];

  beforeAll(async () => {
    temp = await createTempDir('launcher');
    db = await createTestDatabase('launcher');
    redis = await createTestRedisNamespace('launcher');
    ports = { proxy: await freePort(), core: await freePort(), registry: await freePort() };
    env = {
      DATABASE_URL: db.url,
      REDIS_URL: redis.url,
      CORE_REDIS_PREFIX: redis.prefix,
      WHARF_DATA_DIR: join(temp.path, 'data'),
      WHARF_ADMIN_PASSWORD: password,
      PROXY_HTTP_PORT: String(ports.proxy),
      CORE_HTTP_PORT: String(ports.core),
      REGISTRY_HTTP_PORT: String(ports.registry),
      LOG_LEVEL: 'warn',
    };
  });

  afterAll(async () => {
    for (const started of running) if (started.child.exitCode === null) started.child.kill('SIGKILL');
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
