import { readFile } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients, type ContainersClients } from '../src/containers.js';
import { startTestStack, type TestStack } from '../src/stack.js';

interface Setup {
  stack: TestStack;
  clients: ContainersClients;
  layout: ImageLayout;
}

async function setUp(mode: 'none' | 'token'): Promise<Setup> {
  const stack = await startTestStack({ label: `podman_${mode}`, auth: mode });
  try {
    const clients = await createContainersClients(`${stack.dir}/clients`, [stack.registryHost]);
    const layout = await writeImageLayout(`${stack.dir}/layout`);
    return { stack, clients, layout };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

const hexOf = (digest: string): string => digest.slice('sha256:'.length);

/** The last line podman prints is the image ID. */
function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)!.trim();
}

/**
 * Loads the layout's image into podman's storage, pushes it to `reference`, removes it
 * locally and pulls it back. Returns the digest podman pushed.
 */
async function pushRemovePull(setup: Setup, repository: string): Promise<string> {
  const { clients, layout, stack } = setup;
  const reference = `${stack.registryHost}/${repository}:v1`;
  const expectedId = hexOf(layout.single.config.digest);

  const loaded = await clients.podman(['pull', `oci:${layout.dir}:single`]);
  expect(lastLine(loaded.stdout)).toBe(expectedId);

  await clients.podman(['tag', expectedId, reference]);
  const digestFile = `${stack.dir}/clients/pushed.digest`;
  // no --tls-verify flag: registries.conf (CONTAINERS_REGISTRIES_CONF) marks the registry insecure
  await clients.podman(['push', '--digestfile', digestFile, reference]);
  const pushedDigest = (await readFile(digestFile, 'utf8')).trim();
  expect(pushedDigest).toMatch(/^sha256:[0-9a-f]{64}$/);

  // what the registry holds: the digest podman reported, and the same config (podman recompresses layers)
  const client = await stack.client(`repository:${repository}:pull`);
  const manifest = await client.request('GET', `/v2/${repository}/manifests/v1`, {
    headers: { Accept: 'application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' },
  });
  expect(manifest.status).toBe(200);
  expect(manifest.headers.get('docker-content-digest')).toBe(pushedDigest);
  expect(manifest.json<{ config: { digest: string } }>().config.digest).toBe(layout.single.config.digest);

  await clients.podman(['rmi', '--force', expectedId]);
  const exists = await clients.podman(['image', 'exists', expectedId], { allowFailure: true });
  expect(exists.code, 'the image is gone from local storage').toBe(1);

  const pulled = await clients.podman(['pull', reference]);
  expect(lastLine(pulled.stdout)).toBe(expectedId);
  const inspected = await clients.podman(['image', 'inspect', '--format', '{{.Id}} {{.Digest}}', reference]);
  expect(inspected.stdout.trim()).toBe(`${expectedId} ${pushedDigest}`);
  return pushedDigest;
}

describe('podman against registry-facade without authentication', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('none');
  });
  afterAll(async () => {
    await setup?.stack.stop();
  });

  it('pushes an image, removes it locally and pulls it back with the same image ID and config digest', async () => {
    await pushRemovePull(setup, 'e2e/podman');
  });
});

describe('podman against registry-facade with token authentication', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('token');
  });
  afterAll(async () => {
    await setup?.stack.stop();
  });

  it('logs in, pushes an image, removes it locally and pulls it back with the same image ID', async () => {
    const auth = setup.stack.auth!;
    const login = await setup.clients.podman(['login', '--username', auth.user, '--password-stdin', setup.stack.registryHost], {
      input: auth.password,
    });
    expect(login.stdout).toContain('Login Succeeded');
    await pushRemovePull(setup, 'e2e/podman-token');
  });

  it('refuses a login with a wrong password', async () => {
    const login = await setup.clients.podman(['login', '--username', setup.stack.auth!.user, '--password-stdin', setup.stack.registryHost], {
      input: 'not-the-password',
      allowFailure: true,
    });
    expect(login.code).not.toBe(0);
    expect(login.stderr).toMatch(/invalid username\/password/);
  });
});
