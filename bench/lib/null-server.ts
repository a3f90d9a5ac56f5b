/**
 * A registry-shaped null server, run as its own process to calibrate the benchmark's client:
 * uploads (POST/PATCH/PUT) are read and discarded, GET of a blob streams `size` bytes of
 * a repeated random block. What the client reaches against it is the most any registry can
 * show in this benchmark on this machine. Prints `listening <port>` when ready.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createServer } from 'node:http';

const block = randomBytes(8 * 1024 * 1024);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://null');
  if (req.method === 'GET') {
    const size = Number(url.searchParams.get('size') ?? 0);
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': size });
    void (async () => {
      for (let sent = 0; sent < size; sent += block.byteLength) {
        if (!res.write(block.subarray(0, Math.min(block.byteLength, size - sent)))) await once(res, 'drain');
      }
      res.end();
    })();
    return;
  }
  req.on('data', () => undefined);
  req.on('end', () => {
    const status = req.method === 'POST' || req.method === 'PATCH' ? 202 : 201;
    res.writeHead(status, { Location: '/v2/null/blobs/uploads/session', 'Docker-Content-Digest': url.searchParams.get('digest') ?? '', 'Content-Length': 0 });
    res.end();
  });
});

server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  process.stdout.write(`listening ${typeof address === 'object' && address ? address.port : 0}\n`);
});
process.once('SIGTERM', () => server.close(() => process.exit(0)));
