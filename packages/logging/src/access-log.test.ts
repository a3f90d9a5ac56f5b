import { createServer, request, Agent } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { accessLog } from './access-log.js';
import { createLogger } from './create-logger.js';

describe('accessLog', () => {
  it('counts each streamed body on a keep-alive connection by itself', async () => {
    const stream = new PassThrough();
    const lines: { method?: string; bytesIn?: number }[] = [];
    stream.on('data', (chunk: Buffer) => {
      for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as (typeof lines)[number]);
    });
    const log = accessLog(createLogger({ service: 'test', stream }));
    const server = createServer((req, res) =>
      log(req, res, () => {
        req.resume();
        req.on('end', () => res.end('ok'));
      }),
    );
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const send = (method: string, body?: Buffer) =>
      new Promise<void>((resolve, reject) => {
        const req = request({ host: '127.0.0.1', port: (server.address() as AddressInfo).port, method, path: '/upload', agent }, (res) => {
          res.resume();
          res.on('end', resolve);
        });
        req.on('error', reject);
        if (body) req.write(body); // no Content-Length: sent chunked
        req.end();
      });
    try {
      for (let i = 0; i < 3; i += 1) await send('PATCH', Buffer.alloc(100_000));
      await send('PUT');
    } finally {
      agent.destroy();
      server.close();
    }
    await new Promise((resolve) => setImmediate(resolve));
    const patches = lines.filter((line) => line.method === 'PATCH').map((line) => line.bytesIn ?? 0);
    expect(patches).toHaveLength(3);
    // The body and its chunk framing, never what earlier requests on the connection read.
    for (const bytes of patches) {
      expect(bytes).toBeGreaterThanOrEqual(100_000);
      expect(bytes).toBeLessThan(101_000);
    }
    expect(lines.find((line) => line.method === 'PUT')?.bytesIn).toBeLessThan(1000);
  });
});
