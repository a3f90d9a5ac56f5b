import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients } from '../src/containers.js';
import { startDockerDaemon, type DockerDaemon } from '../src/docker-daemon.js';
import type { RunOptions } from '../src/run.js';
import { startTestStack, type TestStack } from '../src/stack.js';
import { createTempDir, type TempDir } from '../src/temp-dir.js';

/** One dockerd for the file; each describe block has its own stack (none / token mode). */
let daemonDir: TempDir;
let daemon: DockerDaemon;
/** A docker-archive of the layout's `single` image, named `e2e/app:v1`. */
let archive: string;
let layout: ImageLayout;
/** Why dockerd did not start: every test then fails with it (never a silent skip). */
let daemonError: Error | undefined;

beforeAll(async () => {
  daemonDir = await createTempDir('docker');
  layout = await writeImageLayout(join(daemonDir.path, 'layout'));
  const clients = await createContainersClients(join(daemonDir.path, 'clients'), []);
  archive = join(daemonDir.path, 'app.tar');
  await clients.skopeo(['copy', `oci:${layout.dir}:single`, `docker-archive:${archive}:e2e/app:v1`]);
  try {
    daemon = await startDockerDaemon(join(daemonDir.path, 'daemon'));
  } catch (error) {
    daemonError = new Error(`dockerd could not be started on this machine, so docker cannot be tested: ${(error as Error).message}`, { cause: error });
  }
});

beforeEach(() => {
  if (daemonError) throw daemonError;
});

afterAll(async () => {
  try {
    await daemon?.stop();
  } finally {
    await daemonDir?.remove();
  }
});

const PUSHED = /: digest: (sha256:[0-9a-f]{64}) size: \d+/;

/** The image ID docker gives a local image, or undefined when it has none by that name. */
async function imageId(reference: string, options: RunOptions = {}): Promise<string | undefined> {
  const inspected = await daemon.docker(['image', 'inspect', '--format', '{{.Id}}', reference], { ...options, allowFailure: true });
  return inspected.code === 0 ? inspected.stdout.trim() : undefined;
}

/**
 * `docker load`s the archive, tags it into `repository`, pushes it, removes both names
 * locally and pulls it back; checks the image ID and the digests on the way. Returns the
 * manifest digest docker pushed and what `docker push` printed.
 */
async function loadPushRemovePull(stack: TestStack, repository: string, options: RunOptions = {}): Promise<{ digest: string; pushOutput: string }> {
  const docker = (args: readonly string[]) => daemon.docker(args, options);
  const reference = `${stack.registryHost}/${repository}:v1`;
  const expectedId = layout.single.config.digest;

  const loaded = await docker(['load', '--input', archive]);
  expect(loaded.stdout).toContain('Loaded image: e2e/app:v1');
  expect(await imageId('e2e/app:v1')).toBe(expectedId);

  await docker(['tag', 'e2e/app:v1', reference]);
  const pushed = await docker(['push', reference]);
  const pushedDigest = PUSHED.exec(pushed.stdout)?.[1];
  expect(pushedDigest, pushed.stdout).toBeDefined();

  // what the registry holds: a Docker schema 2 manifest with the digest docker printed, over the same config
  const client = await stack.client(`repository:${repository}:pull`);
  const manifest = await client.request('GET', `/v2/${repository}/manifests/v1`, {
    headers: { Accept: 'application/vnd.docker.distribution.manifest.v2+json, application/vnd.oci.image.manifest.v1+json' },
  });
  expect(manifest.status).toBe(200);
  expect(manifest.headers.get('docker-content-digest')).toBe(pushedDigest);
  expect(manifest.headers.get('content-type')).toBe('application/vnd.docker.distribution.manifest.v2+json');
  expect(manifest.json<{ config: { digest: string } }>().config.digest).toBe(layout.single.config.digest);

  await docker(['rmi', 'e2e/app:v1', reference]);
  expect(await imageId(expectedId), 'the image is gone from the daemon').toBeUndefined();

  const pulled = await docker(['pull', reference]);
  expect(pulled.stdout).toContain(`Digest: ${pushedDigest}`);
  expect(await imageId(reference)).toBe(expectedId);
  const repoDigests = await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', reference]);
  expect(JSON.parse(repoDigests.stdout) as string[]).toContain(`${stack.registryHost}/${repository}@${pushedDigest}`);

  await docker(['rmi', reference]);
  return { digest: pushedDigest!, pushOutput: pushed.stdout };
}

/** A DOCKER_CONFIG holding `user:password` for the registry, as a login would have stored it. */
async function configWithCredentials(dir: string, registryHost: string, user: string, password: string): Promise<string> {
  await mkdir(dir, { recursive: true });
  const auth = Buffer.from(`${user}:${password}`).toString('base64');
  await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [registryHost]: { auth } } }));
  return dir;
}

describe('docker against registry-facade without authentication', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ label: 'docker_none' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('pushes a loaded image, removes it and pulls it back with the same image ID', async () => {
    await loadPushRemovePull(stack, 'e2e/docker');
  });
});

describe('docker against registry-facade with token authentication', () => {
  let stack: TestStack;
  beforeAll(async () => {
    stack = await startTestStack({ label: 'docker_token', auth: 'token' });
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('docker login succeeds, then push and pull work and the image ID survives', async () => {
    const auth = stack.auth!;
    const login = await daemon.docker(['login', '--username', auth.user, '--password-stdin', stack.registryHost], { input: auth.password });
    expect(login.stdout).toContain('Login Succeeded');
    const loginRequest = auth.server.requests.find((r) => r.user === auth.user && r.scopeParams.length === 0);
    expect(loginRequest, 'docker login asks for a token without scope').toBeDefined();

    await loadPushRemovePull(stack, 'e2e/docker-token');
    expect(auth.server.requests.some((r) => r.user === auth.user && r.granted.some((a) => a.name === 'e2e/docker-token' && a.actions.includes('push')))).toBe(true);
  });

  it('a push of the same image to a second repository mounts the stored layers across repositories and keeps the digest', async () => {
    const auth = stack.auth!;
    const first = await loadPushRemovePull(stack, 'e2e/docker-token-first');
    const second = await loadPushRemovePull(stack, 'e2e/docker-token-second');
    expect(second.digest).toBe(first.digest);
    expect(second.pushOutput).toMatch(/Mounted from e2e\/docker-token-first/);
    // the mount needs one token for two repositories: docker repeats the scope parameter
    const mountRequest = auth.server.requests.find(
      (r) =>
        r.user === auth.user &&
        r.scopeParams.includes('repository:e2e/docker-token-second:push,pull') &&
        r.scopeParams.includes('repository:e2e/docker-token-first:pull'),
    );
    expect(mountRequest?.granted.map((a) => a.name).sort()).toEqual(['e2e/docker-token-first', 'e2e/docker-token-second']);
  });

  it('refuses a docker login with a wrong password', async () => {
    const login = await daemon.docker(['login', '--username', stack.auth!.user, '--password-stdin', stack.registryHost], {
      input: 'not-the-password',
      allowFailure: true,
      env: { DOCKER_CONFIG: join(daemonDir.path, 'config-wrong-login') },
    });
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/unauthorized: invalid username or password/);
  });

  it('fails a docker push with wrong credentials with a clear message, storing nothing', async () => {
    const env = { DOCKER_CONFIG: await configWithCredentials(join(daemonDir.path, 'config-wrong'), stack.registryHost, stack.auth!.user, 'not-the-password') };
    const reference = `${stack.registryHost}/e2e/docker-wrong:v1`;
    await daemon.docker(['load', '--input', archive]);
    await daemon.docker(['tag', 'e2e/app:v1', reference]);

    const pushed = await daemon.docker(['push', reference], { env, allowFailure: true });
    expect(pushed.code).not.toBe(0);
    expect(pushed.stderr).toMatch(/unauthorized: invalid username or password/);

    const client = await stack.client('repository:e2e/docker-wrong:pull');
    expect((await client.request('GET', '/v2/e2e/docker-wrong/tags/list')).status).toBe(404);
    await daemon.docker(['rmi', 'e2e/app:v1', reference]);
  });

  it('lets docker pull without logging in, but refuses an anonymous push', async () => {
    const anonymous = { env: { DOCKER_CONFIG: join(daemonDir.path, 'config-anonymous') } };
    const auth = stack.auth!;
    await daemon.docker(['login', '--username', auth.user, '--password-stdin', stack.registryHost], { input: auth.password });
    await daemon.docker(['load', '--input', archive]);
    const published = `${stack.registryHost}/e2e/docker-public:v1`;
    await daemon.docker(['tag', 'e2e/app:v1', published]);
    await daemon.docker(['push', published]);
    await daemon.docker(['rmi', 'e2e/app:v1', published]);

    await daemon.docker(['pull', published], anonymous);
    expect(await imageId(published)).toBe(layout.single.config.digest);

    const refusedRef = `${stack.registryHost}/e2e/docker-anonymous:v1`;
    await daemon.docker(['tag', published, refusedRef]);
    const refused = await daemon.docker(['push', refusedRef], { ...anonymous, allowFailure: true });
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/denied: requested access to the resource is denied/);
    const client = await stack.client('repository:e2e/docker-anonymous:pull');
    expect((await client.request('GET', '/v2/e2e/docker-anonymous/tags/list')).status).toBe(404);
    await daemon.docker(['rmi', published, refusedRef]);
  });
});
