import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { DockerRegistryAdapter } from '../docker-registry/docker-registry.adapter.js';

/** An open registry recording the requests it answers (HEAD blob: found; manifests: a tiny index). */
async function recorder(): Promise<{ server: Server; url: string; seen: string[] }> {
  const seen: string[] = [];
  const server = createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    if (req.url === '/v2/') return void res.writeHead(200).end('{}');
    if (req.url?.includes('/blobs/')) return void res.writeHead(200, { 'Content-Length': '3', 'Docker-Content-Digest': 'sha256:x' }).end();
    res.writeHead(200, { 'Content-Type': 'application/vnd.oci.image.index.v1+json', 'Docker-Content-Digest': 'sha256:y' }).end();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('a registry whose blobs live elsewhere (blob_url: the local Wharf)', () => {
  const servers: Server[] = [];
  afterEach(() => servers.splice(0).forEach((server) => server.close()));

  it('reads blobs at blob_url and manifests at url', async () => {
    const front = await recorder();
    const blobs = await recorder();
    servers.push(front.server, blobs.server);
    const adapter = new DockerRegistryAdapter({ type: 'docker-registry', url: front.url, blob_url: blobs.url }, { requestTimeoutMs: 5000, idleTimeoutMs: 5000 });
    expect(await adapter.blobExists('lib/app', 'sha256:x')).toBe(true);
    expect(await adapter.headManifest('lib/app', 'v1')).toBeDefined();
    await adapter.close();
    expect(blobs.seen.filter((line) => line !== 'GET /v2/')).toEqual(['HEAD /v2/lib/app/blobs/sha256:x']);
    expect(front.seen.filter((line) => line !== 'GET /v2/')).toEqual(['HEAD /v2/lib/app/manifests/v1']);
  });
});
