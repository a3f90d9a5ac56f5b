import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { mapAdapterError } from '../../http/errors.js';
import { OperationUnsupportedError } from '../adapter.errors.js';
import { DockerRegistryAdapter } from '../docker-registry/docker-registry.adapter.js';
import type { RegistryCredential } from '../registry-credential.js';
import { RegistryHttp } from './registry-http.js';

/**
 * A registry that challenges for a Bearer token from `realm` (default: its own /token) and
 * also serves Wharf's `/service/token`, recording what each token request carried.
 */
async function bearerRegistry(realm?: string): Promise<{ server: Server; url: string; tokenAuth: (string | undefined)[]; tokenPaths: string[] }> {
  const tokenAuth: (string | undefined)[] = [];
  const tokenPaths: string[] = [];
  const server = createServer((req, res) => {
    const { port } = server.address() as AddressInfo;
    if (req.url?.startsWith('/token') || req.url?.startsWith('/service/token')) {
      tokenAuth.push(req.headers.authorization);
      tokenPaths.push(req.url.split('?')[0]!);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'issued', expires_in: 300 }));
      return;
    }
    if (req.headers.authorization !== 'Bearer issued') {
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${realm ?? `http://127.0.0.1:${port}/token`}",service="registry"` }).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, tokenAuth, tokenPaths };
}

describe('RegistryHttp credentials at the token realm', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  const tokenAuthFor = async (credential: RegistryCredential | undefined) => {
    const registry = await bearerRegistry();
    server = registry.server;
    const http = new RegistryHttp({ baseUrl: registry.url, credential, requestTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const answer = await http.send({ path: '/v2/a/b/tags/list', scopes: ['repository:a/b:pull'], expect: [200] });
    await answer.body.dump();
    await http.close();
    return registry.tokenAuth;
  };

  it('sends Basic for a key and secret', async () => {
    expect(await tokenAuthFor({ type: 'basic', access_key: 'u', access_secret: 'p' })).toEqual([`Basic ${Buffer.from('u:p').toString('base64')}`]);
  });

  it("sends Harbor's secret credential (the local Wharf, no key) as Harbor-Secret", async () => {
    expect(await tokenAuthFor({ type: 'secret', access_key: '', access_secret: 'suite-secret' })).toEqual(['Harbor-Secret suite-secret']);
  });

  it('sends the suite secret only to the registry\'s own token service, never to the external realm it names', async () => {
    const registry = await bearerRegistry('https://registry.example.invalid/service/token');
    server = registry.server;
    const http = new RegistryHttp({ baseUrl: registry.url, credential: { type: 'secret', access_key: '', access_secret: 'suite-secret' }, requestTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const answer = await http.send({ path: '/v2/a/b/tags/list', scopes: ['repository:a/b:pull'], expect: [200] });
    await answer.body.dump();
    await http.close();
    expect(registry.tokenPaths).toEqual(['/service/token']);
    expect(registry.tokenAuth).toEqual(['Harbor-Secret suite-secret']);
  });

  it('asks anonymously without a credential', async () => {
    expect(await tokenAuthFor(undefined)).toEqual([undefined]);
  });
});

describe('DockerRegistryAdapter.deleteTag on a registry that cannot delete by tag', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it.each([
    [400, 'DIGEST_INVALID'],
    [405, 'UNSUPPORTED'],
  ])('turns %i %s into OperationUnsupportedError (mapped to 422, not retried)', async (status, code) => {
    server = createServer((req, res) => {
      if (req.url === '/v2/') res.writeHead(200).end('{}');
      else res.writeHead(status, { 'Content-Type': 'application/json' }).end(JSON.stringify({ errors: [{ code, message: 'no' }] }));
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const adapter = new DockerRegistryAdapter({ type: 'docker-registry', url }, { requestTimeoutMs: 5000, idleTimeoutMs: 5000 });
    const failure = await adapter.deleteTag('a/b', 'old').catch((error: unknown) => error);
    await adapter.close();
    expect(failure).toBeInstanceOf(OperationUnsupportedError);
    expect((failure as Error).message).toBe('deleting the tag a/b:old is not supported by this docker-registry registry');
    expect(mapAdapterError(failure)?.status).toBe(422);
  });
});
