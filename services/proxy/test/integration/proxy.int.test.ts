import { createHash } from 'node:crypto';
import { Agent, createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Secret } from '@wharf/config';
import { listen, type RunningServer } from '@wharf/http-kit';
import { createLogger } from '@wharf/logging';
import { createApp } from '../../src/app.js';
import { registryAccess } from '../../src/routing/registry-access.js';

/**
 * The proxy between two plain HTTP upstreams standing in for core and registry-facade
 * (the real suite behind the proxy is tested in test/specs/proxy.e2e.test.ts). Each
 * upstream answers with what it received, so the test sees exactly what the proxy forwards.
 */
interface Upstream {
  url: string;
  server: Server;
  /** Requests seen: method, path, headers, body size and sha256. */
  seen: { method: string; url: string; headers: IncomingMessage['headers']; bytes: number; sha256: string }[];
}

const SECRET = 'suite-secret-0123456789';

async function upstream(name: string, special: (req: IncomingMessage, res: ServerResponse, self: Upstream) => boolean): Promise<Upstream> {
  const self = { seen: [] } as unknown as Upstream;
  self.server = createServer((req, res) => {
    if (special(req, res, self)) return;
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      hash.update(chunk);
    });
    req.on('end', () => {
      const entry = { method: req.method!, url: req.url!, headers: req.headers, bytes, sha256: hash.digest('hex') };
      self.seen.push(entry);
      res.writeHead(200, { 'Content-Type': 'application/json', 'X-Upstream': name });
      res.end(JSON.stringify(entry));
    });
  });
  await new Promise<void>((resolve) => self.server.listen(0, '127.0.0.1', resolve));
  self.url = `http://127.0.0.1:${(self.server.address() as AddressInfo).port}`;
  return self;
}

const BLOCK = Buffer.from(Array.from({ length: 1024 * 1024 }, (_, i) => (i * 31) & 0xff));

/** The blocks of a `size`-byte body made of a repeating pattern. */
function* pattern(size: number): Generator<Buffer> {
  for (let sent = 0; sent < size; sent += BLOCK.length) yield BLOCK.subarray(0, Math.min(BLOCK.length, size - sent));
}

function patternSha256(size: number): string {
  const hash = createHash('sha256');
  for (const piece of pattern(size)) hash.update(piece);
  return hash.digest('hex');
}

/** Writes the pattern with backpressure, then ends the request. */
function streamBody(req: ReturnType<typeof request>, size: number): void {
  const pieces = pattern(size);
  const write = (): void => {
    for (let next = pieces.next(); !next.done; next = pieces.next()) {
      if (!req.write(next.value)) {
        req.once('drain', write);
        return;
      }
    }
    req.end();
  };
  write();
}

function send(url: string, options: { method?: string; headers?: Record<string, string>; bodySize?: number } = {}) {
  return new Promise<{ status: number; headers: IncomingMessage['headers']; text: string }>((resolve, reject) => {
    const req = request(url, { method: options.method ?? 'GET', headers: options.headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (chunk: Buffer) => chunks.push(chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
    if (options.bodySize !== undefined) streamBody(req, options.bodySize);
    else req.end();
  });
}

describe('the proxy in front of core and registry-facade', () => {
  let core: Upstream;
  let registry: Upstream;
  let proxy: RunningServer;
  let proxyUrl: string;
  const external = 'https://registry.example.com';
  const accessChecks: unknown[] = [];

  beforeAll(async () => {
    registry = await upstream('registry', (req, res, self) => {
      if (req.url?.startsWith('/v2/lib/big/blobs/') && req.method === 'GET') {
        // A blob as the facade serves it: Content-Length, digest header, streamed with backpressure.
        req.resume();
        const size = 64 * 1024 * 1024;
        res.writeHead(200, { 'Content-Length': size, 'Docker-Content-Digest': 'sha256:big', 'X-Seen-Forwarded-Proto': String(req.headers['x-forwarded-proto']) });
        const pieces = pattern(size);
        const write = (): void => {
          for (let next = pieces.next(); !next.done; next = pieces.next()) if (!res.write(next.value)) return void res.once('drain', write);
          res.end();
        };
        write();
        return true;
      }
      if (req.url?.startsWith('/v2/lib/broken/blobs/') && req.method === 'GET') {
        req.resume();
        res.writeHead(200, { 'Content-Length': 1000 });
        res.write(Buffer.alloc(10));
        setTimeout(() => res.socket?.destroy(), 20);
        return true;
      }
      if (req.url === '/v2/lib/app/blobs/uploads/' && req.method === 'POST') {
        req.resume();
        res.writeHead(202, { Location: `${self.url}/v2/lib/app/blobs/uploads/abc?_state=x` }).end();
        return true;
      }
      return false;
    });
    core = await upstream('core', (req, res) => {
      if (req.url === '/service/internal/registry-access') {
        const chunks: Buffer[] = [];
        req.on('data', (c: Buffer) => chunks.push(c));
        req.on('end', () => {
          const body = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { authorization?: string };
          accessChecks.push({ ...body, secret: req.headers.authorization });
          if (req.headers.authorization !== `Harbor-Secret ${SECRET}`) {
            res.writeHead(401).end();
          } else if (body.authorization === 'Bearer good') {
            res.writeHead(204).end();
          } else {
            res.writeHead(401, {
              'Content-Type': 'application/json; charset=utf-8',
              'WWW-Authenticate': 'Bearer realm="https://registry.example.com/service/token",service="harbor-registry",error="invalid_token"',
              'Docker-Distribution-API-Version': 'registry/2.0',
              'X-Internal-Only': 'yes',
            });
            res.end(JSON.stringify({ errors: [{ code: 'UNAUTHORIZED', message: 'the token was issued before this project existed' }] }));
          }
        });
        return true;
      }
      if (req.url === '/v2/') {
        res.writeHead(401, { 'WWW-Authenticate': `Bearer realm="${core.url}/service/token",service="harbor-registry"` }).end();
        return true;
      }
      return false;
    });
    const logger = createLogger({ service: 'proxy', level: 'error', format: 'json' });
    const app = createApp({
      logger,
      readiness: [],
      externalUrl: external,
      upstreams: { core: core.url, registry: registry.url },
      registryRoute: 'registry',
      registryAccess: registryAccess({ coreUrl: core.url, secret: new Secret(SECRET), retries: 0 }),
      scheme: 'https',
    });
    proxy = await listen(app, { host: '127.0.0.1', port: 0, logger });
    proxyUrl = proxy.url;
  });

  afterAll(async () => {
    await proxy?.close(1000);
    core?.server.close();
    registry?.server.close();
  });

  it('sends the API, login, token, manifest, tag and catalog routes to core with X-Forwarded-For/Proto/Host and a request id', async () => {
    for (const path of ['/api/v2.0/projects?page=2', '/c/login', '/service/token?service=harbor-registry', '/v2/lib/app/manifests/v1', '/v2/lib/app/tags/list', '/v2/_catalog']) {
      const answer = await send(`${proxyUrl}${path}`, { headers: { Host: 'registry.example.com' } });
      expect(answer.status, path).toBe(200);
      expect(answer.headers['x-upstream']).toBe('core');
      const seen = JSON.parse(answer.text) as Upstream['seen'][number];
      expect(seen.url).toBe(path);
      expect(seen.headers['x-forwarded-for']).toMatch(/127\.0\.0\.1/);
      expect(seen.headers['x-forwarded-proto']).toBe('https');
      expect(seen.headers['x-forwarded-host']).toBe('registry.example.com');
      expect(seen.headers['x-request-id']).toMatch(/.+/);
    }
  });

  it('keeps registry events, job hooks and access checks away from outside, however the path is spelled', async () => {
    for (const path of ['/service/notifications', '/service/notifications/jobs/1', '/service//notifications', '/service/%6Eotifications', '/service/internal/registry-access']) {
      const answer = await send(`${proxyUrl}${path}`, { method: 'POST' });
      expect(answer.status, path).toBe(404);
      expect(JSON.parse(answer.text)).toMatchObject({ errors: [{ code: 'NOT_FOUND' }] });
    }
    expect(core.seen.filter((s) => s.url.includes('otifications') || s.url.includes('internal'))).toEqual([]);
  });

  it('rewrites internal addresses in Location and in the token realm to the external URL', async () => {
    const challenge = await send(`${proxyUrl}/v2/`);
    expect(challenge.status).toBe(401);
    expect(challenge.headers['www-authenticate']).toBe(`Bearer realm="${external}/service/token",service="harbor-registry"`);
    const started = await send(`${proxyUrl}/v2/lib/app/blobs/uploads/`, { method: 'POST', headers: { Authorization: 'Bearer good' } });
    expect(started.status).toBe(202);
    expect(started.headers.location).toBe(`${external}/v2/lib/app/blobs/uploads/abc?_state=x`);
  });

  it('streams a 256 MiB upload straight to registry-facade once core allows it, with no size limit', async () => {
    const before = accessChecks.length;
    const answer = await send(`${proxyUrl}/v2/lib/app/blobs/uploads/u1`, { method: 'PATCH', headers: { Authorization: 'Bearer good', 'Content-Type': 'application/octet-stream' }, bodySize: 256 * 1024 * 1024 });
    expect(answer.status).toBe(200);
    expect(answer.headers['x-upstream']).toBe('registry');
    const seen = JSON.parse(answer.text) as Upstream['seen'][number];
    expect(seen.bytes).toBe(256 * 1024 * 1024);
    expect(seen.sha256).toBe(patternSha256(256 * 1024 * 1024));
    expect(seen.headers.authorization).toBe('Bearer good');
    expect(accessChecks.slice(before)).toEqual([{ method: 'PATCH', path: '/v2/lib/app/blobs/uploads/u1', authorization: 'Bearer good', secret: `Harbor-Secret ${SECRET}` }]);
  });

  it("relays core's refusal of a blob request as the client's answer, and the registry never sees the request", async () => {
    const seenBefore = registry.seen.length;
    const answer = await send(`${proxyUrl}/v2/lib/app/blobs/sha256:${'a'.repeat(64)}`, { headers: { Authorization: 'Bearer stale' } });
    expect(answer.status).toBe(401);
    expect(answer.headers['www-authenticate']).toContain('error="invalid_token"');
    expect(answer.headers['docker-distribution-api-version']).toBe('registry/2.0');
    expect(answer.headers['x-internal-only']).toBeUndefined();
    expect(JSON.parse(answer.text)).toEqual({ errors: [{ code: 'UNAUTHORIZED', message: 'the token was issued before this project existed' }] });
    expect(registry.seen.length).toBe(seenBefore);
  });

  it('asks core about every blob request, reads included, so a policy change applies to the next one', async () => {
    const path = `/v2/lib/app/blobs/sha256:${'c'.repeat(64)}`;
    const before = accessChecks.length;
    for (let i = 0; i < 3; i++) expect((await send(`${proxyUrl}${path}`, { headers: { Authorization: 'Bearer good' } })).status).toBe(200);
    expect(accessChecks.length - before).toBe(3);
  });

  it('streams a 64 MiB blob download with its headers over a keep-alive client connection, and ends a cut download as cut', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const download = (path: string) =>
        new Promise<{ status: number; headers: IncomingMessage['headers']; bytes: number; sha256: string; socket: unknown; complete: boolean }>((resolve, reject) => {
          const req = request(`${proxyUrl}${path}`, { agent, headers: { Authorization: 'Bearer good' } }, (res) => {
            const hash = createHash('sha256');
            let bytes = 0;
            res.on('data', (chunk: Buffer) => {
              bytes += chunk.length;
              hash.update(chunk);
            });
            let settled = false;
            const done = () => {
              if (settled) return;
              settled = true;
              resolve({ status: res.statusCode!, headers: res.headers, bytes, sha256: hash.digest('hex'), socket: req.socket, complete: res.complete });
            };
            res.on('end', done);
            res.on('error', done);
            res.on('aborted', done);
          });
          req.on('error', reject);
          req.end();
        });
      const first = await download(`/v2/lib/big/blobs/sha256:${'1'.repeat(64)}`);
      expect(first.status).toBe(200);
      expect(first.headers['content-length']).toBe(String(64 * 1024 * 1024));
      expect(first.headers['docker-content-digest']).toBe('sha256:big');
      expect(first.headers['x-seen-forwarded-proto']).toBe('https');
      expect(first.bytes).toBe(64 * 1024 * 1024);
      expect(first.sha256).toBe(patternSha256(64 * 1024 * 1024));
      const second = await download(`/v2/lib/big/blobs/sha256:${'2'.repeat(64)}`);
      expect(second.sha256).toBe(first.sha256);
      expect(second.socket, 'the client connection is reused').toBe(first.socket);
      const cut = await download(`/v2/lib/broken/blobs/sha256:${'3'.repeat(64)}`).catch((error: Error) => error);
      expect(cut instanceof Error || (cut.bytes < 1000 && !cut.complete), 'a cut download never looks complete').toBe(true);
    } finally {
      agent.destroy();
    }
  });

  it('answers 503 in the API error shape when core cannot judge a blob request', async () => {
    const logger = createLogger({ service: 'proxy', level: 'error', format: 'json' });
    const app = createApp({
      logger,
      readiness: [],
      externalUrl: external,
      upstreams: { core: 'http://127.0.0.1:1', registry: registry.url },
      registryRoute: 'registry',
      registryAccess: registryAccess({ coreUrl: 'http://127.0.0.1:1', secret: new Secret(SECRET), retries: 1 }),
      scheme: 'http',
    });
    const lonely = await listen(app, { host: '127.0.0.1', port: 0, logger });
    try {
      const answer = await send(`${lonely.url}/v2/lib/app/blobs/sha256:${'b'.repeat(64)}`, { headers: { Authorization: 'Bearer good' } });
      expect(answer.status).toBe(503);
      expect(JSON.parse(answer.text)).toMatchObject({ errors: [{ code: 'UNAVAILABLE' }] });
      expect(answer.headers['docker-distribution-api-version']).toBe('registry/2.0');
      const invalid = await send(`${lonely.url}/v2/lib/a%00b/tags/list`);
      expect(invalid.status).toBe(400);
      expect(JSON.parse(invalid.text)).toMatchObject({ errors: [{ code: 'NAME_INVALID' }] });
      expect(invalid.headers['docker-distribution-api-version']).toBe('registry/2.0');
      const api = await send(`${lonely.url}/api/v2.0/projects`);
      expect(api.status).toBe(502);
      expect(JSON.parse(api.text)).toMatchObject({ errors: [{ code: 'UNAVAILABLE' }] });
    } finally {
      await lonely.close(1000);
    }
  });

  it("answers 503, not core's 401, when core refuses the proxy's own secret", async () => {
    const logger = createLogger({ service: 'proxy', level: 'error', format: 'json' });
    const app = createApp({
      logger,
      readiness: [],
      externalUrl: external,
      upstreams: { core: core.url, registry: registry.url },
      registryRoute: 'registry',
      registryAccess: registryAccess({ coreUrl: core.url, secret: new Secret('not-the-suite-secret-0000'), retries: 0 }),
      scheme: 'http',
    });
    const misconfigured = await listen(app, { host: '127.0.0.1', port: 0, logger });
    try {
      const answer = await send(`${misconfigured.url}/v2/lib/app/blobs/sha256:${'d'.repeat(64)}`, { headers: { Authorization: 'Bearer good' } });
      expect(answer.status).toBe(503);
      expect(answer.headers['www-authenticate']).toBeUndefined();
      expect(JSON.parse(answer.text)).toMatchObject({ errors: [{ code: 'UNAVAILABLE' }] });
    } finally {
      await misconfigured.close(1000);
    }
  });

  it('serves the portal page at / and 404 elsewhere', async () => {
    const portal = await send(`${proxyUrl}/`);
    expect(portal.status).toBe(200);
    expect(portal.headers['content-type']).toContain('text/html');
    expect((await send(`${proxyUrl}/nowhere`)).status).toBe(404);
  });
});
