import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import express from 'express';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '@wharf/logging';
import { blobDownload } from './blob-download.js';

const BYTES = Buffer.from('0123456789abcdefghij');

/** An upstream speaking registry-facade's blob GET: the handoff head when asked, the bytes otherwise. */
function facade(named: string): { server: Server; seen: IncomingMessage['headers'][] } {
  const seen: IncomingMessage['headers'][] = [];
  const server = createServer((req, res) => {
    seen.push(req.headers);
    res.setHeader('Docker-Content-Digest', 'sha256:abc');
    res.setHeader('Content-Type', 'text/plain');
    if (req.headers['x-wharf-blob-handoff'] === 'file') {
      res.writeHead(200, { 'X-Wharf-Blob-File': named, 'X-Wharf-Blob-Offset': '2', 'X-Wharf-Blob-Length': '5', 'Content-Length': '0' }).end();
      return;
    }
    res.writeHead(200, { 'Content-Length': String(BYTES.length) }).end(BYTES);
  });
  return { server, seen };
}

describe('blob downloads with the file handoff', () => {
  let root: string;
  const servers: Server[] = [];

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'wharf-proxy-files-'));
    await mkdir(join(root, 'blobs'));
    await writeFile(join(root, 'blobs/data'), BYTES);
  });
  afterAll(async () => {
    for (const server of servers) server.close();
    await rm(root, { recursive: true, force: true });
  });

  async function appFor(named: string) {
    const upstream = facade(named);
    servers.push(upstream.server);
    await new Promise<void>((resolve) => upstream.server.listen(0, '127.0.0.1', resolve));
    const { port } = upstream.server.address() as AddressInfo;
    const app = express();
    app.get('/v2/*path', blobDownload({ target: `http://127.0.0.1:${port}`, scheme: 'http', logger: createLogger({ service: 'test', level: 'error' }), filesRoot: root }));
    return { app, seen: upstream.seen };
  }

  it('sends the range the facade names from disk, without the internal headers', async () => {
    const { app } = await appFor('/blobs/data');
    const answer = await request(app).get('/v2/lib/app/blobs/sha256:abc');
    expect(answer.status).toBe(200);
    expect(answer.text).toBe(BYTES.subarray(2, 7).toString());
    expect(answer.headers['content-length']).toBe('5');
    expect(answer.headers['docker-content-digest']).toBe('sha256:abc');
    expect(Object.keys(answer.headers).filter((name) => name.startsWith('x-wharf-'))).toEqual([]);
  });

  it('falls back to the facade\'s bytes for a file outside its root or missing', async () => {
    for (const named of ['/../../../etc/hostname', '/blobs/missing']) {
      const { app, seen } = await appFor(named);
      const answer = await request(app).get('/v2/lib/app/blobs/sha256:abc');
      expect(answer.status, named).toBe(200);
      expect(answer.text, named).toBe(BYTES.toString());
      expect(seen.map((headers) => headers['x-wharf-blob-handoff'])).toEqual(['file', undefined]);
    }
  });
});
