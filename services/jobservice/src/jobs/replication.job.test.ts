import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdapterClient } from '@wharf/http-client';
import { createLogger } from '@wharf/logging';
import type { JobContext } from './job.js';
import { PermanentJobError } from './job.js';
import { createReplicationJob } from './replication.job.js';
import { createSchedulerJob } from './scheduler.job.js';

const logger = createLogger({ service: 'test', level: 'error' });

function context(checkIns: string[]): JobContext {
  return { jobId: 'j1', signal: new AbortController().signal, logger, fails: 0, checkIn: async (message) => void checkIns.push(message) };
}

/** A stand-in for the adapter's replication routes, recording what it was asked. */
async function adapter(answer: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ url: string; server: Server; seen: { path: string; accept?: string; body: Record<string, unknown> }[] }> {
  const seen: { path: string; accept?: string; body: Record<string, unknown> }[] = [];
  const server = createServer((req, res) => {
    let text = '';
    req.on('data', (chunk: Buffer) => (text += chunk.toString()));
    req.on('end', () => {
      seen.push({ path: req.url!, accept: req.headers.accept, body: JSON.parse(text) as Record<string, unknown> });
      answer(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, seen };
}

const params = (dst: Record<string, unknown> = {}) => ({ src_resource: JSON.stringify({ type: 'image' }), dst_resource: JSON.stringify({ type: 'image', ...dst }), speed: -1 });

describe('the REPLICATION job', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((server) => server.close()));

  it('streams the copy, reporting progress as check-ins, and ends on the result line', async () => {
    const fake = await adapter((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
      res.write('{"type":"progress","bytes":0,"total":100}\n');
      setTimeout(() => res.write('{"type":"progress","bytes":10,"total":100}\n'), 20);
      setTimeout(() => res.write('{"type":"progress","bytes":60,"total":100}\n'), 1100);
      setTimeout(() => res.end('{"type":"progress","bytes":100,"total":100}\n{"type":"result","bytes":100,"copied":[]}\n'), 1150);
    });
    servers.push(fake.server);
    const checkIns: string[] = [];
    await createReplicationJob({ adapter: new AdapterClient({ baseUrl: fake.url, secret: { reveal: () => 's' }, timeoutMs: 5000, attempts: 1 }) }).run(context(checkIns), params());
    expect(fake.seen[0]).toMatchObject({ path: '/api/v1/replications/copy', accept: 'application/x-ndjson' });
    expect(fake.seen[0]!.body.speed).toBe(0);
    // From the first second on, at most one a second: nothing at 0 or 10 bytes, 60 after a second, not 100 right after.
    expect(checkIns.map((c) => JSON.parse(c) as unknown)).toEqual([{ bytes: 60, total: 100 }]);
  });

  it('fails for good on a 4xx error line and retryably on a 503 one', async () => {
    for (const [status, permanent] of [[404, true], [503, false]] as const) {
      const fake = await adapter((_req, res) => {
        res.writeHead(200, { 'Content-Type': 'application/x-ndjson' });
        res.end(`{"type":"error","status":${status},"errors":[{"code":"X","message":"nope"}]}\n`);
      });
      servers.push(fake.server);
      const failure = await createReplicationJob({ adapter: new AdapterClient({ baseUrl: fake.url, secret: { reveal: () => 's' }, timeoutMs: 5000, attempts: 1 }) }).run(context([]), params()).then(() => undefined, (error: unknown) => error);
      expect(failure instanceof PermanentJobError, String(status)).toBe(permanent);
      expect(String(failure)).toContain('nope');
    }
  });

  it('sends a deleted destination resource to the deletion route', async () => {
    const fake = await adapter((_req, res) => res.writeHead(200, { 'Content-Type': 'application/json' }).end('{"deleted":[]}'));
    servers.push(fake.server);
    await createReplicationJob({ adapter: new AdapterClient({ baseUrl: fake.url, secret: { reveal: () => 's' }, timeoutMs: 5000, attempts: 1 }) }).run(context([]), params({ deleted: true }));
    expect(fake.seen.map((s) => s.path)).toEqual(['/api/v1/replications/delete']);
  });
});

describe('the SCHEDULER job', () => {
  it('checks in once per fire and accepts only a vendor', async () => {
    const checkIns: string[] = [];
    const job = createSchedulerJob();
    await job.run(context(checkIns), { vendor_type: 'REPLICATION', vendor_id: 3 });
    expect(checkIns).toEqual(['checkin']);
    expect(job.validate.safeParse({ vendor_id: 3 }).success).toBe(false);
  });
});
