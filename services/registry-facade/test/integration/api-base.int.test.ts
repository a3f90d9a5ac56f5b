import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, rawRequest, startRegistry, type RegistryUnderTest } from './harness.js';

describe('the /v2 API surface', () => {
  let registry: RegistryUnderTest;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => registry.stop());

  it('answers GET /v2/ with 200 and the Docker-Distribution-API-Version header', async () => {
    const response = await registry.client.request('GET', '/v2/');
    expect(response.status).toBe(200);
    expect(response.headers.get('docker-distribution-api-version')).toBe('registry/2.0');
    expect(response.json()).toEqual({});
  });

  it('answers an unknown /v2 path with 404 in the error envelope', async () => {
    const response = await registry.client.request('GET', '/v2/library/app/unknown-endpoint/x');
    expect(response.status).toBe(404);
    expect(firstError(response.body).code).toBe('NOT_FOUND');
  });

  it('answers a wrong method with 405 UNSUPPORTED and the allowed methods', async () => {
    const response = await registry.client.request('POST', '/v2/library/app/tags/list');
    expect(response.status).toBe(405);
    expect(firstError(response.body).code).toBe('UNSUPPORTED');
    expect(response.headers.get('allow')).toBe('GET');
  });

  it.each([
    ['upper case', 'Library/App'],
    ['a dot-dot component', 'library/../etc'],
    ['encoded dots', 'library/%2e%2e/etc'],
    ['an encoded slash', 'library%2fapp'],
    ['an empty component', 'library//app'],
    ['a NUL byte', 'library/app%00'],
    ['a trailing separator', 'library/app-'],
    ['a leading separator', '-library/app'],
    ['a 256-character name', `a${'b'.repeat(255)}`],
  ])('refuses a repository name with %s as NAME_INVALID', async (_case, name) => {
    for (const path of [`/v2/${name}/tags/list`, `/v2/${name}/manifests/latest`, `/v2/${name}/blobs/uploads/`]) {
      const response = await rawRequest(registry.url, path.endsWith('uploads/') ? 'POST' : 'GET', path);
      expect(response.status, path).toBe(400);
      expect(firstError(response.body).code, path).toBe('NAME_INVALID');
    }
  });

  it('never lets a traversal attempt reach storage', async () => {
    const attempts = [
      '/v2/../../etc/passwd/blobs/sha256:' + 'a'.repeat(64),
      '/v2/library/app/blobs/..%2f..%2fetc%2fpasswd',
      '/v2/library/app/blobs/uploads/..%2f..%2fetc',
      '/v2/library/app/manifests/..%2f..%2fetc%2fpasswd',
    ];
    for (const path of attempts) {
      const response = await rawRequest(registry.url, 'GET', path);
      expect(response.status, path).toBeGreaterThanOrEqual(400);
      expect(response.status, path).toBeLessThan(500);
      expect(response.body.toString(), path).not.toContain('root:');
    }
  });

  it('sends no body on a HEAD error', async () => {
    const response = await registry.client.request('HEAD', `/v2/library/app/blobs/sha256:${'0'.repeat(64)}`);
    expect(response.status).toBe(404);
    expect(response.body.byteLength).toBe(0);
  });

  it('sets a request id on every answer and keeps a safe one it was given', async () => {
    const fresh = await registry.client.request('GET', '/v2/');
    expect(fresh.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    const kept = await registry.client.request('GET', '/v2/', { headers: { 'X-Request-Id': 'proxy-123' } });
    expect(kept.headers.get('x-request-id')).toBe('proxy-123');
  });

  it('serves liveness, readiness and Prometheus metrics', async () => {
    expect((await registry.client.request('GET', '/healthz')).status).toBe(200);
    const ready = await registry.client.request('GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.json()).toMatchObject({ checks: { postgres: { status: 'ok' }, storage: { status: 'ok' } } });
    const metrics = await registry.client.request('GET', '/metrics');
    expect(metrics.body.toString()).toContain('http_request_duration_seconds');
  });
});
