import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request as httpRequest } from 'node:http';
import { digestOf } from '@wharf/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

describe('blobs: HEAD, GET with Range, DELETE', () => {
  let registry: RegistryUnderTest;
  const content = randomBytes(100_000);
  const digest = digestOf(content);

  beforeAll(async () => {
    registry = await startRegistry();
    expect((await registry.client.pushBlob('library/blobs', { bytes: content, digest })).status).toBe(201);
  });
  afterAll(async () => registry.stop());

  it('answers HEAD with Content-Length and Docker-Content-Digest and no body', async () => {
    const response = await registry.client.request('HEAD', `/v2/library/blobs/blobs/${digest}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-length')).toBe(String(content.length));
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(response.body.byteLength).toBe(0);
  });

  it('streams the whole blob on GET', async () => {
    const response = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect(response.headers.get('accept-ranges')).toBe('bytes');
    expect(digestOf(response.body)).toBe(digest);
  });

  it('answers a Range request with 206 and exactly those bytes', async () => {
    const response = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { Range: 'bytes=1000-1999' } });
    expect(response.status).toBe(206);
    expect(response.headers.get('content-range')).toBe(`bytes 1000-1999/${content.length}`);
    expect(response.body).toEqual(content.subarray(1000, 2000));
    const suffix = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { Range: 'bytes=-10' } });
    expect(suffix.status).toBe(206);
    expect(suffix.body).toEqual(content.subarray(content.length - 10));
    const open = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { Range: 'bytes=99990-' } });
    expect(open.body).toEqual(content.subarray(99_990));
  });

  it.each(['bytes=200000-300000', 'bytes=abc', 'items=0-1', 'bytes=50-10'])('answers an invalid range %s with 416', async (range) => {
    const response = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { Range: range } });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe(`bytes */${content.length}`);
    expect(firstError(response.body).code).toBe('RANGE_INVALID');
  });

  it('hands a GET over to a proxy on the same disk: the head names the file and range, no body', async () => {
    const handoff = { 'X-Wharf-Blob-Handoff': 'file' };
    const whole = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: handoff });
    expect(whole.status).toBe(200);
    expect(whole.body.byteLength).toBe(0);
    expect(whole.headers.get('docker-content-digest')).toBe(digest);
    const file = whole.headers.get('x-wharf-blob-file')!;
    expect(await readFile(join(registry.storageRoot, file))).toEqual(content);
    expect([whole.headers.get('x-wharf-blob-offset'), whole.headers.get('x-wharf-blob-length')]).toEqual(['0', String(content.length)]);
    const ranged = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { ...handoff, Range: 'bytes=1000-1999' } });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe(`bytes 1000-1999/${content.length}`);
    expect([ranged.headers.get('x-wharf-blob-offset'), ranged.headers.get('x-wharf-blob-length')]).toEqual(['1000', '1000']);
    // Policies still answer first: an unknown blob is 404, HEAD and a matching ETag are never handed over.
    const unknown = await registry.client.request('GET', `/v2/library/blobs/blobs/${digestOf(randomBytes(8))}`, { headers: handoff });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('x-wharf-blob-file')).toBeNull();
    const cached = await registry.client.request('GET', `/v2/library/blobs/blobs/${digest}`, { headers: { ...handoff, 'If-None-Match': `"${digest}"` } });
    expect(cached.status).toBe(304);
    expect(cached.headers.get('x-wharf-blob-file')).toBeNull();
  });

  it('answers a blob the repository does not hold with 404 BLOB_UNKNOWN, even if another repository holds it', async () => {
    const unknown = await registry.client.request('GET', `/v2/library/blobs/blobs/sha256:${'0'.repeat(64)}`);
    expect(unknown.status).toBe(404);
    expect(firstError(unknown.body).code).toBe('BLOB_UNKNOWN');
    const elsewhere = await registry.client.request('GET', `/v2/other/repo/blobs/${digest}`);
    expect(elsewhere.status).toBe(404);
    expect(firstError(elsewhere.body).code).toBe('BLOB_UNKNOWN');
  });

  it.each(['sha256:abc', 'md5:' + 'a'.repeat(32), 'sha256:' + 'A'.repeat(64), 'not-a-digest'])('refuses the digest %s as DIGEST_INVALID', async (bad) => {
    const response = await registry.client.request('GET', `/v2/library/blobs/blobs/${bad}`);
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
  });

  it('releases everything when a client hangs up mid-download, and keeps serving', async () => {
    const large = randomBytes(24 * 1024 * 1024);
    const largeDigest = digestOf(large);
    await registry.client.pushBlob('library/blobs', { bytes: large, digest: largeDigest });
    const openFiles = async () => (await readdir('/proc/self/fd')).length;
    const before = await openFiles();
    for (let i = 0; i < 5; i += 1) {
      await new Promise<void>((resolve) => {
        const { hostname, port } = new URL(registry.url);
        const req = httpRequest({ host: hostname, port, path: `/v2/library/blobs/blobs/${largeDigest}` }, (res) => {
          res.once('data', () => {
            req.destroy();
            resolve();
          });
        });
        req.end();
      });
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await openFiles()).toBeLessThanOrEqual(before + 2);
    const whole = await registry.client.request('GET', `/v2/library/blobs/blobs/${largeDigest}`);
    expect(digestOf(whole.body)).toBe(largeDigest);
  });

  it('deletes a blob from a repository with 202, after which it is unknown there', async () => {
    const bytes = randomBytes(10);
    const doomed = digestOf(bytes);
    await registry.client.pushBlob('library/blobs', { bytes, digest: doomed });
    expect((await registry.client.request('DELETE', `/v2/library/blobs/blobs/${doomed}`)).status).toBe(202);
    expect((await registry.client.request('HEAD', `/v2/library/blobs/blobs/${doomed}`)).status).toBe(404);
    const again = await registry.client.request('DELETE', `/v2/library/blobs/blobs/${doomed}`);
    expect(again.status).toBe(404);
    expect(firstError(again.body).code).toBe('BLOB_UNKNOWN');
  });
});

describe('blobs when deletion is disabled', () => {
  let registry: RegistryUnderTest;
  beforeAll(async () => {
    registry = await startRegistry({ REGISTRY_STORAGE_DELETE_ENABLED: 'false' });
  });
  afterAll(async () => registry.stop());

  it('answers DELETE with 405 UNSUPPORTED and keeps the blob', async () => {
    const bytes = randomBytes(10);
    const digest = digestOf(bytes);
    await registry.client.pushBlob('library/keep', { bytes, digest });
    const response = await registry.client.request('DELETE', `/v2/library/keep/blobs/${digest}`);
    expect(response.status).toBe(405);
    expect(firstError(response.body).code).toBe('UNSUPPORTED');
    expect((await registry.client.request('HEAD', `/v2/library/keep/blobs/${digest}`)).status).toBe(200);
  });
});
