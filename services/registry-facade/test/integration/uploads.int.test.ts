import { createHash, randomBytes } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { digestOf } from '@wharf/oci';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

async function startSession(registry: RegistryUnderTest, repository: string, query = ''): Promise<string> {
  const response = await registry.client.request('POST', `/v2/${repository}/blobs/uploads/${query}`);
  expect(response.status).toBe(202);
  return response.headers.get('location')!;
}

describe('blob uploads', () => {
  let registry: RegistryUnderTest;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => registry.stop());

  it('starts a session with 202, a Location with a UUID, Range 0-0 and Docker-Upload-UUID', async () => {
    const response = await registry.client.request('POST', '/v2/library/up/blobs/uploads/');
    expect(response.status).toBe(202);
    const location = response.headers.get('location')!;
    expect(location).toMatch(/^\/v2\/library\/up\/blobs\/uploads\/[0-9a-f-]{36}$/);
    expect(response.headers.get('range')).toBe('0-0');
    expect(response.headers.get('docker-upload-uuid')).toBe(location.split('/').pop());
  });

  it('stores a blob pushed in one POST with ?digest= (201, Location, Docker-Content-Digest)', async () => {
    const bytes = randomBytes(5000);
    const digest = digestOf(bytes);
    const response = await registry.client.request('POST', `/v2/library/up/blobs/uploads/?digest=${digest}`, {
      headers: { 'Content-Type': 'application/octet-stream' },
      body: bytes,
    });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v2/library/up/blobs/${digest}`);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect((await registry.client.request('GET', `/v2/library/up/blobs/${digest}`)).body).toEqual(bytes);
  });

  it('accepts chunks in order with Content-Range and reports the offset after each', async () => {
    const bytes = randomBytes(30_000);
    const digest = digestOf(bytes);
    let location = await startSession(registry, 'library/chunks');
    for (const [start, end] of [[0, 9_999], [10_000, 19_999], [20_000, 29_999]] as const) {
      const response = await registry.client.request('PATCH', location, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Range': `${start}-${end}` },
        body: bytes.subarray(start, end + 1),
      });
      expect(response.status).toBe(202);
      expect(response.headers.get('range')).toBe(`0-${end}`);
      location = response.headers.get('location')!;
      const status = await registry.client.request('GET', location);
      expect(status.status).toBe(204);
      expect(status.headers.get('range')).toBe(`0-${end}`);
    }
    const closed = await registry.client.request('PUT', `${location}?digest=${digest}`);
    expect(closed.status).toBe(201);
    expect(closed.headers.get('docker-content-digest')).toBe(digest);
    expect((await registry.client.request('GET', `/v2/library/chunks/blobs/${digest}`)).body).toEqual(bytes);
  });

  it('takes the last chunk in the closing PUT', async () => {
    const bytes = randomBytes(2_000);
    const digest = digestOf(bytes);
    const location = await startSession(registry, 'library/chunks');
    await registry.client.request('PATCH', location, { headers: { 'Content-Range': '0-999' }, body: bytes.subarray(0, 1000) });
    const closed = await registry.client.request('PUT', `${location}?digest=${digest}`, {
      headers: { 'Content-Range': '1000-1999', 'Content-Type': 'application/octet-stream' },
      body: bytes.subarray(1000),
    });
    expect(closed.status).toBe(201);
    expect((await registry.client.request('GET', `/v2/library/chunks/blobs/${digest}`)).body).toEqual(bytes);
  });

  it('streams a PATCH without Content-Range (how docker pushes) and completes it', async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    const digest = digestOf(bytes);
    const location = await startSession(registry, 'library/stream');
    const patched = await registry.client.request('PATCH', location, { body: bytes });
    expect(patched.headers.get('range')).toBe(`0-${bytes.length - 1}`);
    expect((await registry.client.request('PUT', `${patched.headers.get('location')!}?digest=${digest}`)).status).toBe(201);
  });

  it('answers an out-of-order chunk with 416 and keeps the upload where it was', async () => {
    const location = await startSession(registry, 'library/order');
    await registry.client.request('PATCH', location, { headers: { 'Content-Range': '0-99' }, body: randomBytes(100) });
    const skipped = await registry.client.request('PATCH', location, { headers: { 'Content-Range': '200-299' }, body: randomBytes(100) });
    expect(skipped.status).toBe(416);
    expect(firstError(skipped.body).code).toBe('BLOB_UPLOAD_INVALID');
    const repeated = await registry.client.request('PATCH', location, { headers: { 'Content-Range': '0-99' }, body: randomBytes(100) });
    expect(repeated.status).toBe(416);
    const status = await registry.client.request('GET', location);
    expect(status.headers.get('range')).toBe('0-99');
  });

  it('answers a Content-Range that disagrees with Content-Length with 416', async () => {
    const location = await startSession(registry, 'library/order');
    const response = await registry.client.request('PATCH', location, { headers: { 'Content-Range': '0-9' }, body: randomBytes(50) });
    expect(response.status).toBe(416);
  });

  it('refuses a malformed Content-Range with BLOB_UPLOAD_INVALID', async () => {
    const location = await startSession(registry, 'library/order');
    const response = await registry.client.request('PATCH', location, { headers: { 'Content-Range': 'bytes */50' }, body: randomBytes(50) });
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('BLOB_UPLOAD_INVALID');
  });

  it('refuses a wrong digest with DIGEST_INVALID and stores nothing', async () => {
    const bytes = randomBytes(4096);
    const wrong = digestOf(randomBytes(16));
    const location = await startSession(registry, 'library/wrong');
    await registry.client.request('PATCH', location, { body: bytes });
    const response = await registry.client.request('PUT', `${location}?digest=${wrong}`);
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
    expect(await registry.sql('SELECT * FROM blob WHERE digest = ANY($1)', [[wrong, digestOf(bytes)]])).toEqual([]);
    expect((await registry.client.request('HEAD', `/v2/library/wrong/blobs/${digestOf(bytes)}`)).status).toBe(404);
    const gone = await registry.client.request('GET', location);
    expect(firstError(gone.body).code).toBe('BLOB_UPLOAD_UNKNOWN');
    const uploadId = location.split('/').pop()!;
    expect(await readdir(join(registry.storageRoot, 'uploads')).catch(() => [])).not.toContain(uploadId);
  });

  it('refuses a monolithic POST whose body does not match its digest, storing nothing', async () => {
    const bytes = randomBytes(100);
    const wrong = digestOf(Buffer.from('something else'));
    const response = await registry.client.request('POST', `/v2/library/wrong/blobs/uploads/?digest=${wrong}`, { body: bytes });
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
    expect(await registry.sql('SELECT * FROM upload WHERE repository = $1', ['library/wrong'])).toEqual([]);
    expect(await registry.sql('SELECT * FROM blob WHERE digest = $1', [wrong])).toEqual([]);
  });

  it('needs ?digest= to close a session', async () => {
    const location = await startSession(registry, 'library/wrong');
    const response = await registry.client.request('PUT', location);
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
  });

  it('cancels a session with DELETE (204), after which it is unknown', async () => {
    const location = await startSession(registry, 'library/cancel');
    await registry.client.request('PATCH', location, { body: randomBytes(10) });
    expect((await registry.client.request('DELETE', location)).status).toBe(204);
    for (const method of ['GET', 'PATCH', 'PUT', 'DELETE']) {
      const response = await registry.client.request(method, method === 'PUT' ? `${location}?digest=${digestOf('x')}` : location);
      expect(response.status, method).toBe(404);
      expect(firstError(response.body).code, method).toBe('BLOB_UPLOAD_UNKNOWN');
    }
  });

  it('does not let one repository use another repository\'s session, or a made-up one', async () => {
    const location = await startSession(registry, 'library/mine');
    const stolen = location.replace('library/mine', 'library/theirs');
    expect(firstError((await registry.client.request('GET', stolen)).body).code).toBe('BLOB_UPLOAD_UNKNOWN');
    const madeUp = await registry.client.request('GET', '/v2/library/mine/blobs/uploads/not-a-uuid');
    expect(madeUp.status).toBe(404);
    expect(firstError(madeUp.body).code).toBe('BLOB_UPLOAD_UNKNOWN');
  });

  it('mounts a blob from another repository with 201', async () => {
    const bytes = randomBytes(1000);
    const digest = digestOf(bytes);
    await registry.client.pushBlob('library/source', { bytes, digest });
    const response = await registry.client.request('POST', `/v2/library/target/blobs/uploads/?mount=${digest}&from=library/source`);
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe(`/v2/library/target/blobs/${digest}`);
    expect(response.headers.get('docker-content-digest')).toBe(digest);
    expect((await registry.client.request('GET', `/v2/library/target/blobs/${digest}`)).body).toEqual(bytes);
  });

  it('starts a normal session (202) when the mount source does not hold the blob', async () => {
    const digest = digestOf(randomBytes(8));
    const response = await registry.client.request('POST', `/v2/library/target/blobs/uploads/?mount=${digest}&from=library/source`);
    expect(response.status).toBe(202);
    expect(response.headers.get('location')).toMatch(/\/blobs\/uploads\//);
    const noFrom = await registry.client.request('POST', `/v2/library/target/blobs/uploads/?mount=${digest}`);
    expect(noFrom.status).toBe(202);
  });

  it('uploads with sha512 when asked with digest-algorithm', async () => {
    const bytes = randomBytes(777);
    const digest = `sha512:${createHash('sha512').update(bytes).digest('hex')}`;
    const location = await startSession(registry, 'library/sha512', '?digest-algorithm=sha512');
    await registry.client.request('PATCH', location, { body: bytes });
    expect((await registry.client.request('PUT', `${location}?digest=${digest}`)).status).toBe(201);
    const fetched = await registry.client.request('GET', `/v2/library/sha512/blobs/${digest}`);
    expect(fetched.headers.get('docker-content-digest')).toBe(digest);
    expect(fetched.body).toEqual(bytes);
  });

  it('refuses an unsupported digest algorithm with 400 DIGEST_INVALID', async () => {
    const response = await registry.client.request('POST', '/v2/library/sha512/blobs/uploads/?digest-algorithm=md5');
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
  });

  it('lets two concurrent uploads of the same blob both succeed, storing it once', async () => {
    const bytes = randomBytes(2 * 1024 * 1024);
    const digest = digestOf(bytes);
    const results = await Promise.all([
      registry.client.pushBlob('library/race-a', { bytes, digest }),
      registry.client.pushBlob('library/race-b', { bytes, digest }),
      registry.client.pushBlob('library/race-a', { bytes, digest }),
    ]);
    expect(results.map((r) => r.status)).toEqual([201, 201, 201]);
    expect(await registry.sql('SELECT digest FROM blob WHERE digest = $1', [digest])).toHaveLength(1);
    for (const repository of ['library/race-a', 'library/race-b']) {
      expect(digestOf((await registry.client.request('GET', `/v2/${repository}/blobs/${digest}`)).body)).toBe(digest);
    }
  });

  it('accepts an empty blob', async () => {
    const digest = digestOf(Buffer.alloc(0));
    const location = await startSession(registry, 'library/empty');
    expect((await registry.client.request('PUT', `${location}?digest=${digest}`)).status).toBe(201);
    const fetched = await registry.client.request('GET', `/v2/library/empty/blobs/${digest}`);
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('content-length')).toBe('0');
  });
});

describe('upload expiry', () => {
  let registry: RegistryUnderTest;
  beforeAll(async () => {
    registry = await startRegistry({ REGISTRY_UPLOAD_TTL: '1s', REGISTRY_UPLOAD_PURGE_INTERVAL: '1h' });
  });
  afterAll(async () => registry.stop());

  it('forgets sessions idle for longer than the TTL, with their bytes', async () => {
    const idle = await startSession(registry, 'library/idle');
    await registry.client.request('PATCH', idle, { body: randomBytes(100) });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const active = await startSession(registry, 'library/idle');
    expect(await registry.registry.uploads.purgeExpired()).toBeGreaterThanOrEqual(1);
    expect(firstError((await registry.client.request('GET', idle)).body).code).toBe('BLOB_UPLOAD_UNKNOWN');
    expect((await registry.client.request('GET', active)).status).toBe(204);
    expect(await readdir(join(registry.storageRoot, 'uploads'))).not.toContain(idle.split('/').pop());
  });
});
