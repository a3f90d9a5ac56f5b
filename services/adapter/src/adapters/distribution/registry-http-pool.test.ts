import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerRegistryAdapter } from '../docker-registry/docker-registry.adapter.js';
import { RegistryHttpPool } from './registry-http-pool.js';

/** A Bearer registry counting its `GET /v2/` challenges and the scopes of each token request. */
async function countingRegistry(): Promise<{ server: Server; url: string; pings: () => number; tokens: string[][] }> {
  let pings = 0;
  const tokens: string[][] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    if (url.pathname === '/service/token') {
      tokens.push(url.searchParams.getAll('scope'));
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify({ token: 'issued', expires_in: 300 }));
      return;
    }
    if (url.pathname === '/v2/') pings += 1;
    if (req.headers.authorization !== 'Bearer issued') {
      const { port } = server.address() as AddressInfo;
      res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="http://127.0.0.1:${port}/service/token",service="registry"` }).end();
      return;
    }
    res.writeHead(404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, pings: () => pings, tokens };
}

describe('RegistryHttpPool', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it('lets consecutive copies reuse the challenge and the tokens of one registry and credential', async () => {
    const registry = await countingRegistry();
    server = registry.server;
    const pool = new RegistryHttpPool();
    const deps = { requestTimeoutMs: 5000, idleTimeoutMs: 5000, httpPool: pool };
    const credential = { type: 'basic' as const, access_key: 'u', access_secret: 'p' };
    try {
      for (let task = 0; task < 3; task += 1) {
        const adapter = new DockerRegistryAdapter({ type: 'docker-registry', url: registry.url, credential }, deps);
        // A task writes the repository, then reads it: one token with pull,push serves both.
        await adapter.startUpload('p/a').catch(() => undefined);
        expect(await adapter.blobExists('p/a', `sha256:${'0'.repeat(64)}`)).toBe(false);
        await adapter.close();
      }
      expect(registry.pings()).toBe(1);
      expect(registry.tokens).toEqual([['repository:p/a:pull,push']]);
      expect(pool.size).toBe(1);

      // Another credential is another client, with tokens of its own.
      const other = new DockerRegistryAdapter({ type: 'docker-registry', url: registry.url, credential: { ...credential, access_key: 'v' } }, deps);
      expect(await other.blobExists('p/a', `sha256:${'0'.repeat(64)}`)).toBe(false);
      await other.close();
      expect(pool.size).toBe(2);
      expect(registry.tokens).toHaveLength(2);
    } finally {
      await pool.close();
    }
  });

  it('closes a client nobody used for its idle time', async () => {
    let now = 0;
    const pool = new RegistryHttpPool({ idleMs: 1000, now: () => now });
    const options = { baseUrl: 'http://127.0.0.1:9', requestTimeoutMs: 1000, idleTimeoutMs: 1000 };
    const first = pool.acquire(options);
    pool.release(first);
    now = 500;
    expect(pool.acquire(options)).toBe(first);
    pool.release(first);
    now = 2000;
    expect(pool.acquire({ ...options, baseUrl: 'http://127.0.0.1:10' })).not.toBe(first);
    expect(pool.size).toBe(1);
    await pool.close();
  });
});
