import type { TestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeImageLayout, type ImageLayout } from '../factories/images.factory.js';
import { createContainersClients, type ContainersClients } from '../src/containers.js';
import { layoutHasBlob, layoutTag, readLayoutBlob } from '../src/oci-layout.js';
import { startTestStack, type TestStack } from '../src/stack.js';

interface Setup {
  stack: TestStack;
  clients: ContainersClients;
  layout: ImageLayout;
}

async function setUp(mode: 'none' | 'token'): Promise<Setup> {
  const stack = await startTestStack({ label: `skopeo_${mode}`, auth: mode });
  try {
    const clients = await createContainersClients(`${stack.dir}/clients`, [stack.registryHost]);
    const layout = await writeImageLayout(`${stack.dir}/layout`);
    return { stack, clients, layout };
  } catch (error) {
    await stack.stop();
    throw error;
  }
}

/** Credentials flags for skopeo: the test user in token mode, none otherwise. */
function credsFlags(stack: TestStack, side: 'src' | 'dest'): string[] {
  return stack.auth ? [`--${side}-creds`, `${stack.auth.user}:${stack.auth.password}`] : [];
}

function pushArgs(setup: Setup, tag: string, repository: string, all: boolean): string[] {
  return [
    'copy',
    ...(all ? ['--all'] : []),
    '--preserve-digests',
    '--dest-tls-verify=false',
    ...credsFlags(setup.stack, 'dest'),
    `oci:${setup.layout.dir}:${tag}`,
    `docker://${setup.stack.registryHost}/${repository}`,
  ];
}

function pullArgs(setup: Setup, repository: string, outDir: string, tag: string, all: boolean): string[] {
  return [
    'copy',
    ...(all ? ['--all'] : []),
    '--preserve-digests',
    '--src-tls-verify=false',
    ...credsFlags(setup.stack, 'src'),
    `docker://${setup.stack.registryHost}/${repository}`,
    `oci:${outDir}:${tag}`,
  ];
}

async function inspectRaw(setup: Setup, reference: string): Promise<Buffer> {
  const result = await setup.clients.skopeo([
    'inspect',
    '--raw',
    '--tls-verify=false',
    ...(setup.stack.auth ? ['--creds', `${setup.stack.auth.user}:${setup.stack.auth.password}`] : []),
    `docker://${setup.stack.registryHost}/${reference}`,
  ]);
  return result.stdoutBytes;
}

/** The registry's own answer for a manifest, read over HTTP. */
async function headManifest(setup: Setup, repository: string, reference: string) {
  const client = await setup.stack.client(`repository:${repository}:pull`);
  return client.request('HEAD', `/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json' },
  });
}

/** Every blob of `image` (manifest, config, layers) is in the layout with the same bytes. */
async function expectImageInLayout(dir: string, image: TestImage): Promise<void> {
  for (const blob of [image.manifest, image.config, ...image.layers]) {
    expect(layoutHasBlob(dir, blob.digest), `${blob.digest} in ${dir}`).toBe(true);
    expect((await readLayoutBlob(dir, blob.digest)).equals(blob.bytes)).toBe(true);
  }
}

async function copiesImageRoundTrip(setup: Setup, repository: string): Promise<void> {
  const { single } = setup.layout;
  await setup.clients.skopeo(pushArgs(setup, 'single', `${repository}:v1`, false));

  const head = await headManifest(setup, repository, 'v1');
  expect(head.status).toBe(200);
  expect(head.headers.get('docker-content-digest')).toBe(single.manifest.digest);

  const outDir = `${setup.stack.dir}/out-${repository.replace(/\//g, '_')}`;
  await setup.clients.skopeo(pullArgs(setup, `${repository}:v1`, outDir, 'copied', false));
  const copied = await layoutTag(outDir, 'copied');
  expect(copied.digest).toBe(single.manifest.digest);
  expect(copied.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
  await expectImageInLayout(outDir, single);
}

async function copiesIndexRoundTrip(setup: Setup, repository: string): Promise<void> {
  const { index, amd64, arm64 } = setup.layout;
  await setup.clients.skopeo(pushArgs(setup, 'multi', `${repository}:v1`, true));

  const head = await headManifest(setup, repository, 'v1');
  expect(head.status).toBe(200);
  expect(head.headers.get('docker-content-digest')).toBe(index.digest);
  for (const child of [amd64, arm64]) {
    const childHead = await headManifest(setup, repository, child.manifest.digest);
    expect(childHead.status).toBe(200);
    expect(childHead.headers.get('docker-content-digest')).toBe(child.manifest.digest);
  }

  const outDir = `${setup.stack.dir}/out-${repository.replace(/\//g, '_')}`;
  await setup.clients.skopeo(pullArgs(setup, `${repository}:v1`, outDir, 'copied', true));
  const copied = await layoutTag(outDir, 'copied');
  expect(copied.digest).toBe(index.digest);
  expect(copied.mediaType).toBe('application/vnd.oci.image.index.v1+json');
  expect((await readLayoutBlob(outDir, index.digest)).equals(index.bytes)).toBe(true);
  const copiedIndex = JSON.parse((await readLayoutBlob(outDir, index.digest)).toString()) as { manifests: { digest: string }[] };
  expect(copiedIndex.manifests.map((m) => m.digest)).toEqual([amd64.manifest.digest, arm64.manifest.digest]);
  await expectImageInLayout(outDir, amd64);
  await expectImageInLayout(outDir, arm64);
}

async function inspectRawMatches(setup: Setup, repository: string): Promise<void> {
  const { single, index, amd64, arm64 } = setup.layout;
  await setup.clients.skopeo(pushArgs(setup, 'single', `${repository}:image`, false));
  await setup.clients.skopeo(pushArgs(setup, 'multi', `${repository}:index`, true));

  expect((await inspectRaw(setup, `${repository}:image`)).equals(single.manifest.bytes)).toBe(true);
  expect((await inspectRaw(setup, `${repository}@${single.manifest.digest}`)).equals(single.manifest.bytes)).toBe(true);
  expect((await inspectRaw(setup, `${repository}:index`)).equals(index.bytes)).toBe(true);
  for (const child of [amd64, arm64]) {
    expect((await inspectRaw(setup, `${repository}@${child.manifest.digest}`)).equals(child.manifest.bytes)).toBe(true);
  }
}

describe('skopeo against registry-facade without authentication', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('none');
  });
  afterAll(async () => {
    await setup?.stack.stop();
  });

  it('copies a multi-layer OCI image in and back out with identical manifest, config and layer digests', async () => {
    await copiesImageRoundTrip(setup, 'e2e/skopeo-image');
  });

  it('copies a two-platform index with --all in and back out with identical index and child digests', async () => {
    await copiesIndexRoundTrip(setup, 'e2e/skopeo-index');
  });

  it('skopeo inspect --raw returns exactly the bytes that were pushed, by tag and by digest', async () => {
    await inspectRawMatches(setup, 'e2e/skopeo-inspect');
  });
});

describe('skopeo against registry-facade with token authentication', () => {
  let setup: Setup;
  beforeAll(async () => {
    setup = await setUp('token');
  });
  afterAll(async () => {
    await setup?.stack.stop();
  });

  it('pushes with --dest-creds and pulls with --src-creds a multi-layer image, digests unchanged', async () => {
    await copiesImageRoundTrip(setup, 'e2e/token-image');
    const auth = setup.stack.auth!;
    const pushGrant = auth.server.requests.find(
      (r) => r.user === auth.user && r.granted.some((a) => a.name === 'e2e/token-image' && a.actions.includes('push')),
    );
    expect(pushGrant, 'skopeo asked the token endpoint for push as the test user').toBeDefined();
  });

  it('pushes and pulls a two-platform index with --all and credentials, digests unchanged', async () => {
    await copiesIndexRoundTrip(setup, 'e2e/token-index');
  });

  it('skopeo inspect --raw with credentials returns exactly the bytes that were pushed', async () => {
    await inspectRawMatches(setup, 'e2e/token-inspect');
  });

  it('lets anonymous clients pull but not push', async () => {
    await setup.clients.skopeo(pushArgs(setup, 'single', 'e2e/token-public:v1', false));

    const anonymousPull = `${setup.stack.dir}/out-anonymous`;
    await setup.clients.skopeo([
      'copy',
      '--src-tls-verify=false',
      '--src-no-creds',
      `docker://${setup.stack.registryHost}/e2e/token-public:v1`,
      `oci:${anonymousPull}:copied`,
    ]);
    expect((await layoutTag(anonymousPull, 'copied')).digest).toBe(setup.layout.single.manifest.digest);

    const refused = await setup.clients.skopeo(
      [
        'copy',
        '--dest-tls-verify=false',
        '--dest-no-creds',
        `oci:${setup.layout.dir}:single`,
        `docker://${setup.stack.registryHost}/e2e/token-anonymous:v1`,
      ],
      { allowFailure: true },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/requested access to the resource is denied/);
    expect(refused.stderr).toMatch(/unauthorized: insufficient scope/);
    expect((await headManifest(setup, 'e2e/token-anonymous', 'v1')).status).toBe(404);
  });

  it('refuses a push with a wrong password at the token endpoint, storing nothing', async () => {
    const refused = await setup.clients.skopeo(
      [
        'copy',
        '--dest-tls-verify=false',
        '--dest-creds',
        `${setup.stack.auth!.user}:not-the-password`,
        `oci:${setup.layout.dir}:single`,
        `docker://${setup.stack.registryHost}/e2e/token-wrong:v1`,
      ],
      { allowFailure: true },
    );
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/unauthorized: invalid username or password/);
    expect((await headManifest(setup, 'e2e/token-wrong', 'v1')).status).toBe(404);
  });

  it('honours every scope of one token request, repeated or space-separated, and gives anonymous callers pull only', async () => {
    const auth = setup.stack.auth!;
    await setup.clients.skopeo(pushArgs(setup, 'single', 'e2e/scopes-a:v1', false));
    const tokenUrl = new URL(auth.server.realm);
    tokenUrl.searchParams.set('service', auth.server.service);
    tokenUrl.searchParams.append('scope', 'repository:e2e/scopes-a:pull repository:e2e/scopes-b:pull,push');
    tokenUrl.searchParams.append('scope', 'registry:catalog:*');
    const basic = `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}`;

    const userAnswer = await fetch(tokenUrl, { headers: { Authorization: basic } });
    expect(userAnswer.status).toBe(200);
    const userToken = (await userAnswer.json()) as { token: string; access_token: string; expires_in: number; issued_at: string };
    expect(userToken.access_token).toBe(userToken.token);
    expect(userToken.expires_in).toBeGreaterThan(0);

    const withUserToken = (await setup.stack.client()).withToken(userToken.token);
    const catalog = await withUserToken.request('GET', '/v2/_catalog');
    expect(catalog.status).toBe(200);
    expect(catalog.json<{ repositories: string[] }>().repositories).toContain('e2e/scopes-a');
    expect((await withUserToken.request('GET', `/v2/e2e/scopes-a/manifests/v1`, { headers: { Accept: setup.layout.single.manifest.mediaType } })).status).toBe(200);
    // push was granted on the second repository: an upload session may start there
    expect((await withUserToken.request('POST', '/v2/e2e/scopes-b/blobs/uploads/')).status).toBe(202);

    const anonymousAnswer = await fetch(tokenUrl);
    expect(anonymousAnswer.status).toBe(200);
    const anonymousToken = ((await anonymousAnswer.json()) as { token: string }).token;
    const withAnonymousToken = withUserToken.withToken(anonymousToken);
    expect((await withAnonymousToken.request('GET', `/v2/e2e/scopes-a/manifests/v1`, { headers: { Accept: setup.layout.single.manifest.mediaType } })).status).toBe(200);
    const anonymousCatalog = await withAnonymousToken.request('GET', '/v2/_catalog');
    expect(anonymousCatalog.status).toBe(401);
    expect(anonymousCatalog.headers.get('www-authenticate')).toContain('error="insufficient_scope"');
    const anonymousPush = await withAnonymousToken.request('POST', '/v2/e2e/scopes-b/blobs/uploads/');
    expect(anonymousPush.status).toBe(401);
    expect(anonymousPush.json<{ errors: { code: string }[] }>().errors[0]?.code).toBe('UNAUTHORIZED');
  });
});
