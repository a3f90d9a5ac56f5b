import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateSigningKey } from '@wharf/auth-token';
import { createTestImage, createTestTokenIssuer, type TestTokenIssuer } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

const REALM = 'https://wharf.example.com/service/token';

describe('token authentication (REGISTRY_AUTH_MODE=token)', () => {
  let registry: RegistryUnderTest;
  let issuer: TestTokenIssuer;
  let keyDir: string;
  const image = createTestImage({ layers: 1 });

  beforeAll(async () => {
    issuer = await createTestTokenIssuer();
    keyDir = await mkdtemp(join(tmpdir(), 'wharf-keys-'));
    registry = await startRegistry({
      REGISTRY_AUTH_MODE: 'token',
      REGISTRY_AUTH_TOKEN_REALM: REALM,
      REGISTRY_AUTH_TOKEN_PUBLIC_KEY_FILE: await issuer.writePublicKey(keyDir),
    });
    const pusher = registry.client.withToken(await issuer.token('repository:team/app:pull,push'));
    await pusher.pushImage('team/app', image, 'v1');
  });
  afterAll(async () => {
    await registry.stop();
    await rm(keyDir, { recursive: true, force: true });
  });

  const challenge = (response: { headers: Headers }) => response.headers.get('www-authenticate');

  it('challenges a request without a token on /v2/ with realm and service only', async () => {
    const response = await registry.client.request('GET', '/v2/');
    expect(response.status).toBe(401);
    expect(challenge(response)).toBe(`Bearer realm="${REALM}",service="harbor-registry"`);
    expect(firstError(response.body).code).toBe('UNAUTHORIZED');
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
  });

  it('challenges a pull without a token with the repository scope it needs', async () => {
    const response = await registry.client.request('GET', '/v2/team/app/manifests/v1');
    expect(response.status).toBe(401);
    expect(challenge(response)).toBe(`Bearer realm="${REALM}",service="harbor-registry",scope="repository:team/app:pull"`);
  });

  it('asks for pull and push on uploads, delete on DELETE, and registry:catalog:* on the catalog', async () => {
    expect(challenge(await registry.client.request('POST', '/v2/team/app/blobs/uploads/'))).toContain('scope="repository:team/app:pull,push"');
    expect(challenge(await registry.client.request('DELETE', '/v2/team/app/manifests/v1'))).toContain('scope="repository:team/app:delete"');
    expect(challenge(await registry.client.request('GET', '/v2/_catalog'))).toContain('scope="registry:catalog:*"');
  });

  it('serves a pull with a token that grants pull', async () => {
    const reader = registry.client.withToken(await issuer.token('repository:team/app:pull'));
    const response = await reader.request('GET', '/v2/team/app/manifests/v1');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(image.manifest.bytes);
    expect((await reader.request('GET', '/v2/')).status).toBe(200);
  });

  it('answers insufficient_scope when the token lacks the action', async () => {
    const reader = registry.client.withToken(await issuer.token('repository:team/app:pull'));
    const push = await reader.request('POST', '/v2/team/app/blobs/uploads/');
    expect(push.status).toBe(401);
    expect(challenge(push)).toBe(`Bearer realm="${REALM}",service="harbor-registry",scope="repository:team/app:pull,push",error="insufficient_scope"`);
    const elsewhere = await reader.request('GET', '/v2/team/other/manifests/v1');
    expect(elsewhere.status).toBe(401);
    expect(challenge(elsewhere)).toContain('error="insufficient_scope"');
    const remove = await reader.request('DELETE', '/v2/team/app/manifests/v1');
    expect(challenge(remove)).toContain('error="insufficient_scope"');
    const catalog = await reader.request('GET', '/v2/_catalog');
    expect(challenge(catalog)).toContain('error="insufficient_scope"');
  });

  it('lets the action * do everything, delete included', async () => {
    const admin = registry.client.withToken(await issuer.token('repository:team/app:*'));
    const bytes = Buffer.from('to be deleted');
    const { digestOf } = await import('@wharf/oci');
    expect((await admin.pushBlob('team/app', { bytes, digest: digestOf(bytes) })).status).toBe(201);
    expect((await admin.request('DELETE', `/v2/team/app/blobs/${digestOf(bytes)}`)).status).toBe(202);
  });

  it('serves the catalog to a token with registry:catalog:*', async () => {
    const admin = registry.client.withToken(await issuer.token('registry:catalog:*'));
    const response = await admin.request('GET', '/v2/_catalog');
    expect(response.status).toBe(200);
    expect(response.json<{ repositories: string[] }>().repositories).toContain('team/app');
  });

  it.each([
    ['expired', async () => issuer.token('repository:team/app:pull', { now: new Date(Date.now() - 3600_000), ttlSeconds: 60 })],
    ['signed with another key', async () => issuer.token('repository:team/app:pull', { key: await generateSigningKey('ES256') })],
    ['for another audience', async () => issuer.token('repository:team/app:pull', { audience: 'some-other-registry' })],
    ['from another issuer', async () => issuer.token('repository:team/app:pull', { issuer: 'someone-else' })],
    ['not a JWT at all', async () => 'not.a.jwt'],
  ])('refuses a token %s with invalid_token', async (_case, makeToken) => {
    const response = await registry.client.withToken(await makeToken()).request('GET', '/v2/team/app/manifests/v1');
    expect(response.status).toBe(401);
    expect(challenge(response)).toBe(`Bearer realm="${REALM}",service="harbor-registry",scope="repository:team/app:pull",error="invalid_token"`);
    expect(firstError(response.body).code).toBe('UNAUTHORIZED');
  });

  it('refuses Basic credentials with the Bearer challenge', async () => {
    const response = await registry.client.request('GET', '/v2/team/app/manifests/v1', { headers: { Authorization: 'Basic YWRtaW46cGFzcw==' } });
    expect(response.status).toBe(401);
    expect(challenge(response)).toContain('Bearer realm=');
  });

  it('mounts only from a repository the token may pull; otherwise it starts a normal upload', async () => {
    const blob = image.layers[0]!;
    const noSourcePull = registry.client.withToken(await issuer.token('repository:team/copy:pull,push'));
    const refused = await noSourcePull.request('POST', `/v2/team/copy/blobs/uploads/?mount=${blob.digest}&from=team/app`);
    expect(refused.status).toBe(202);
    const both = registry.client.withToken(await issuer.token('repository:team/copy:pull,push repository:team/app:pull'));
    const mounted = await both.request('POST', `/v2/team/copy/blobs/uploads/?mount=${blob.digest}&from=team/app`);
    expect(mounted.status).toBe(201);
  });

  it('keeps health and metrics open', async () => {
    expect((await registry.client.request('GET', '/healthz')).status).toBe(200);
    expect((await registry.client.request('GET', '/readyz')).status).toBe(200);
  });
});

describe('token keys from a JWKS URL', () => {
  it('verifies tokens with keys fetched from the JWKS endpoint, and answers 503 while it cannot be reached', async () => {
    const { createServer } = await import('node:http');
    const { publicJwk } = await import('@wharf/auth-token');
    const { freePort } = await import('@wharf/testing');
    const issuer = await createTestTokenIssuer();
    const jwks = JSON.stringify({ keys: [await publicJwk(issuer.key)] });
    const port = await freePort();
    const server = createServer((_req, res) => void res.writeHead(200, { 'Content-Type': 'application/json' }).end(jwks));
    const deadPort = await freePort();

    const registry = await startRegistry({
      REGISTRY_AUTH_MODE: 'token',
      REGISTRY_AUTH_TOKEN_REALM: REALM,
      REGISTRY_AUTH_TOKEN_JWKS_URL: `http://127.0.0.1:${port}/service/keys`,
    });
    const unreachable = await startRegistry({
      REGISTRY_AUTH_MODE: 'token',
      REGISTRY_AUTH_TOKEN_REALM: REALM,
      REGISTRY_AUTH_TOKEN_JWKS_URL: `http://127.0.0.1:${deadPort}/service/keys`,
    });
    try {
      await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
      const token = await issuer.token('repository:team/app:pull');
      expect((await registry.client.withToken(token).request('GET', '/v2/')).status).toBe(200);
      const down = await unreachable.client.withToken(token).request('GET', '/v2/');
      expect(down.status).toBe(503);
      expect(firstError(down.body).code).toBe('UNAVAILABLE');
    } finally {
      server.close();
      await registry.stop();
      await unreachable.stop();
    }
  });
});
