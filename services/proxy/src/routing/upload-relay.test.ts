import { createHash } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import { Balancer } from './balancer.js';
import { carriesSizedBody, uploadRelay } from './upload-relay.js';

const logger = createLogger({ service: 'test', level: 'error' });

interface Seen {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  bytes: number;
  sha256: string;
}

/** An upstream speaking registry-facade's upload answers; `early` answers before reading the body. */
async function facade(mode: 'normal' | 'early' = 'normal'): Promise<{ server: Server; url: string; seen: Seen[] }> {
  const seen: Seen[] = [];
  const server = createServer((req, res) => {
    if (mode === 'early') {
      res.writeHead(416, { 'Content-Type': 'application/json', Range: '0-9', 'Content-Length': '2' }).end('{}');
      return;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    req.on('data', (chunk: Buffer) => {
      hash.update(chunk);
      bytes += chunk.length;
    });
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, bytes, sha256: hash.digest('hex') });
      res.writeHead(202, { Location: `${url}/v2/lib/app/blobs/uploads/abc`, Range: `0-${bytes - 1}`, 'Content-Length': '0' }).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { server, url, seen };
}

describe('upload relay', () => {
  const servers: Server[] = [];
  afterAll(() => {
    for (const server of servers) server.close();
  });

  function appFor(urls: string[]) {
    const balancer = new Balancer({ name: 'registry-facade', urls, logger, checkIntervalMs: 0 });
    const relay = uploadRelay({ balancer, scheme: 'http', logger, rewrite: (value) => urls.reduce((text, internal) => text.split(internal).join('https://wharf.test'), value) });
    const app = express();
    app.use((req, res, next) => (carriesSizedBody(req) ? relay(req, res) : next()));
    app.use((_req, res) => res.status(404).end());
    return app;
  }

  it('streams the body to the facade unchanged and relays its answer with internal addresses rewritten', async () => {
    const upstream = await facade();
    servers.push(upstream.server);
    const body = Buffer.alloc(3 * 1024 * 1024 + 17, 7);
    const answer = await request(appFor([upstream.url]))
      .patch('/v2/lib/app/blobs/uploads/abc?x=1')
      .set('Content-Type', 'application/octet-stream')
      .set('Content-Range', `0-${body.length - 1}`)
      .set('Authorization', 'Bearer t')
      .send(body);
    expect(answer.status).toBe(202);
    expect(answer.headers.location).toBe('https://wharf.test/v2/lib/app/blobs/uploads/abc');
    expect(answer.headers.range).toBe(`0-${body.length - 1}`);
    const [seen] = upstream.seen;
    expect(seen).toMatchObject({ method: 'PATCH', url: '/v2/lib/app/blobs/uploads/abc?x=1', bytes: body.length, sha256: createHash('sha256').update(body).digest('hex') });
    expect(seen!.headers).toMatchObject({ authorization: 'Bearer t', 'content-range': `0-${body.length - 1}`, 'x-forwarded-proto': 'http' });
  });

  it('relays an answer given before the body was read', async () => {
    const upstream = await facade('early');
    servers.push(upstream.server);
    const answer = await request(appFor([upstream.url])).put('/v2/lib/app/blobs/uploads/abc?digest=sha256:0').send(Buffer.alloc(4 * 1024 * 1024));
    expect(answer.status).toBe(416);
    expect(answer.headers.range).toBe('0-9');
  });

  it('passes the upload to another replica when one refuses the connection, and answers 502 when none is left', async () => {
    const upstream = await facade();
    servers.push(upstream.server);
    const closed = await facade();
    await new Promise((resolve) => closed.server.close(resolve));
    const passed = await request(appFor([closed.url, upstream.url])).patch('/v2/lib/app/blobs/uploads/abc').send(Buffer.from('hello'));
    expect(passed.status).toBe(202);
    expect(upstream.seen.at(-1)?.bytes).toBe(5);
    const failed = await request(appFor([closed.url])).patch('/v2/lib/app/blobs/uploads/abc').send(Buffer.from('hello'));
    expect(failed.status).toBe(502);
    expect(failed.body.errors[0].code).toBe('UNAVAILABLE');
  });

  it('takes only bodies of known length', () => {
    const req = (method: string, headers: Record<string, string>) => ({ method, headers }) as unknown as Parameters<typeof carriesSizedBody>[0];
    expect(carriesSizedBody(req('PATCH', { 'content-length': '10' }))).toBe(true);
    expect(carriesSizedBody(req('PUT', { 'content-length': '0' }))).toBe(false);
    expect(carriesSizedBody(req('PATCH', { 'transfer-encoding': 'chunked' }))).toBe(false);
    expect(carriesSizedBody(req('GET', { 'content-length': '10' }))).toBe(false);
  });
});
