import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { HarborAdapter } from './harbor.adapter.js';

describe('HarborAdapter.deleteTag', () => {
  let server: Server | undefined;
  afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

  it("deletes one tag through Harbor's API, the nested repository name encoded twice", async () => {
    const seen: string[] = [];
    server = createServer((req, res) => {
      seen.push(`${req.method} ${req.url} ${req.headers.authorization ?? ''}`);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end();
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const adapter = new HarborAdapter({ type: 'harbor', url, credential: { type: 'secret', access_key: '', access_secret: 's3' } }, { requestTimeoutMs: 5000, idleTimeoutMs: 5000 });
    await adapter.deleteTag('lib/team/app', 'v1.0');
    await adapter.close();
    expect(seen).toEqual(['DELETE /api/v2.0/projects/lib/repositories/team%252Fapp/artifacts/v1.0/tags/v1.0 Harbor-Secret s3']);
  });
});
