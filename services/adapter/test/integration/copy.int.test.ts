import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestImage, type TestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startAdapter, type AdapterUnderTest } from '../factories/adapter-process.js';
import { blobPresent, digestAt, pushImage, pushIndex, pushLargeImage } from '../factories/content.js';
import { startDistribution, type Distribution } from '../factories/registries.js';

interface NdjsonLine {
  type: string;
  bytes?: number;
  total?: number;
  copied?: { reference: string; digest: string }[];
  skipped?: { reference: string; reason: string }[];
  blobs?: Record<string, number>;
  errors?: { code: string }[];
}

async function ndjson(response: Response, onLine?: (line: NdjsonLine) => void): Promise<NdjsonLine[]> {
  const lines: NdjsonLine[] = [];
  const decoder = new TextDecoder();
  let buffered = '';
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffered += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffered.indexOf('\n')) >= 0) {
      const line = JSON.parse(buffered.slice(0, newline)) as NdjsonLine;
      buffered = buffered.slice(newline + 1);
      lines.push(line);
      onLine?.(line);
    }
  }
  return lines;
}

describe('the adapter service against two docker-registry instances', () => {
  let dir: string;
  let src: Distribution; // token auth
  let dst: Distribution; // basic auth (htpasswd)
  let adapter: AdapterUnderTest;
  let base: TestImage;
  let imageV1: TestImage;
  let imageV2: TestImage;
  let platforms: TestImage[];
  let indexDigest: string;

  const srcRegistry = () => ({ type: 'docker-registry', url: src.url, credential: { type: 'basic', access_key: src.username, access_secret: src.password }, insecure: false });
  const dstRegistry = () => ({ type: 'docker-registry', url: dst.url, credential: { type: 'basic', access_key: dst.username, access_secret: dst.password }, insecure: false });
  const resource = (registry: unknown, name: string, artifacts: { digest?: string; tags: string[] }[], override = false) =>
    JSON.stringify({ type: 'image', metadata: { repository: { name }, artifacts }, registry, override });
  const copy = (srcName: string, dstName: string, artifacts: { tags: string[] }[], options: { override?: boolean; speed?: number; chunk?: boolean } = {}) => ({
    src_resource: resource(srcRegistry(), srcName, artifacts),
    dst_resource: resource(dstRegistry(), dstName, artifacts, options.override ?? false),
    speed: options.speed ?? 0,
    copy_by_chunk: options.chunk ?? false,
  });

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-adapter-int-'));
    await Promise.all([mkdtemp(join(dir, 'src-')), mkdtemp(join(dir, 'dst-'))]).then(async ([srcDir, dstDir]) => {
      [src, dst] = await Promise.all([startDistribution(srcDir, { kind: 'token' }), startDistribution(dstDir, { kind: 'basic' })]);
    });
    adapter = await startAdapter(dir, { ADAPTER_COPY_RETRY_BACKOFF: '100ms', ADAPTER_COPY_CHUNK_SIZE: '1mb' });

    base = createTestImage({ layers: 1, layerSize: 4096 });
    const withBase = (extra: TestImage): TestImage => {
      const layers = [base.layers[0]!, ...extra.layers];
      const manifestJson = { schemaVersion: 2, mediaType: extra.manifest.mediaType, config: { mediaType: extra.config.mediaType, digest: extra.config.digest, size: extra.config.size }, layers: layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })) };
      const bytes = Buffer.from(JSON.stringify(manifestJson));
      return { ...extra, layers, manifest: { ...extra.manifest, bytes, size: bytes.byteLength, digest: `sha256:${require_sha(bytes)}` } };
    };
    imageV1 = withBase(createTestImage({ layers: 1, layerSize: 2048 }));
    imageV2 = withBase(createTestImage({ layers: 2, layerSize: 2048 }));
    await pushImage(src, 'library/app', imageV1, ['v1', 'v1.1']);
    await pushImage(src, 'library/app', imageV2, ['v2', 'dev-1']);
    platforms = [createTestImage({ platform: { os: 'linux', architecture: 'amd64' } }), createTestImage({ platform: { os: 'linux', architecture: 'arm64' } })];
    indexDigest = (await pushIndex(src, 'library/multi', platforms, ['latest'])).digest;
  }, 60_000);

  afterAll(async () => {
    await adapter?.stop();
    await src?.stop();
    await dst?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  it('refuses calls without the Harbor-Secret with 401 in the envelope', async () => {
    const response = await fetch(`${adapter.url}/api/v1/adapters`);
    expect(response.status).toBe(401);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('UNAUTHORIZED');
    const wrong = await fetch(`${adapter.url}/api/v1/adapters`, { headers: { Authorization: 'Harbor-Secret nope' } });
    expect(wrong.status).toBe(401);
  });

  it('lists the adapter types with their info and pattern', async () => {
    const response = await fetch(`${adapter.url}/api/v1/adapters`, { headers: { Authorization: `Harbor-Secret ${adapter.secret}` } });
    const body = (await response.json()) as { type: string; info: { supported_resource_filters: unknown[] }; pattern: { endpoint_pattern: unknown } }[];
    const native = body.find((a) => a.type === 'docker-registry');
    expect(native?.info.supported_resource_filters).toContainEqual({ type: 'name', style: 'input' });
    expect(native?.pattern.endpoint_pattern).toEqual({ endpoint_type: 'EndpointPatternTypeStandard', endpoints: [] });
  });

  it('reports health for good and bad credentials, without echoing them', async () => {
    const good = await adapter.post('/api/v1/registries/health', { registry: srcRegistry() });
    expect(await good.json()).toMatchObject({ status: 'healthy' });
    const badRegistry = { ...dstRegistry(), credential: { type: 'basic', access_key: 'syncer', access_secret: 'wrong-password-123' } };
    const bad = await adapter.post('/api/v1/registries/health', { registry: badRegistry });
    const text = await bad.text();
    expect(JSON.parse(text)).toMatchObject({ status: 'unhealthy' });
    expect(text).not.toContain('wrong-password-123');
  });

  it('lists resources with name and tag filters (doublestar, matches and excludes)', async () => {
    const matches = await adapter.post('/api/v1/resources', { registry: srcRegistry(), filters: [{ type: 'name', value: 'library/**' }, { type: 'tag', value: 'v*', decoration: 'matches' }] });
    expect(matches.status).toBe(200);
    const resources = (await matches.json()) as { metadata: { repository: { name: string }; artifacts: { digest: string; tags: string[] }[] }; registry?: { credential?: unknown } }[];
    const app = resources.find((r) => r.metadata.repository.name === 'library/app')!;
    expect(app.metadata.artifacts).toHaveLength(2);
    expect(app.metadata.artifacts.find((a) => a.digest === imageV1.manifest.digest)!.tags.sort()).toEqual(['v1', 'v1.1']);
    expect(app.metadata.artifacts.find((a) => a.digest === imageV2.manifest.digest)!.tags).toEqual(['v2']);
    expect(resources.some((r) => r.metadata.repository.name === 'library/multi')).toBe(false);
    expect(app.registry?.credential).toBeUndefined();

    const excludes = await adapter.post('/api/v1/resources', { registry: srcRegistry(), filters: [{ type: 'name', value: 'library/{app,multi}' }, { type: 'tag', value: 'v1*', decoration: 'excludes' }] });
    const excluded = (await excludes.json()) as { metadata: { repository: { name: string }; artifacts: { tags: string[] }[] } }[];
    expect(excluded.map((r) => r.metadata.repository.name).sort()).toEqual(['library/app', 'library/multi']);
    expect(excluded.find((r) => r.metadata.repository.name === 'library/app')!.metadata.artifacts.flatMap((a) => a.tags).sort()).toEqual(['dev-1', 'v2']);
  });

  it('copies an image and a two-platform index with identical digests, streaming progress', async () => {
    const response = await adapter.post('/api/v1/replications/copy', copy('library/app', 'library/app', [{ tags: ['v1', 'v1.1'] }, { tags: ['v2'] }]), { headers: { Accept: 'application/x-ndjson' } });
    expect(response.headers.get('content-type')).toContain('application/x-ndjson');
    const lines = await ndjson(response);
    const result = lines.at(-1)!;
    expect(result.type).toBe('result');
    expect(lines.some((l) => l.type === 'progress')).toBe(true);
    expect(result.copied!.map((c) => c.reference).sort()).toEqual(['v1', 'v1.1', 'v2']);
    expect(await digestAt(dst, 'library/app', 'v1')).toBe(imageV1.manifest.digest);
    expect(await digestAt(dst, 'library/app', 'v2')).toBe(imageV2.manifest.digest);
    // The shared base layer was copied once.
    expect(result.blobs!.copied).toBe(6);

    const index = await adapter.post('/api/v1/replications/copy', copy('library/multi', 'mirror/multi', [{ tags: ['latest'] }]));
    expect(index.status).toBe(200);
    expect(await digestAt(dst, 'mirror/multi', 'latest')).toBe(indexDigest);
    for (const image of platforms) expect(await digestAt(dst, 'mirror/multi', image.manifest.digest)).toBe(image.manifest.digest);
  });

  it('skips tags already at the same digest', async () => {
    const response = await adapter.post('/api/v1/replications/copy', copy('library/app', 'library/app', [{ tags: ['v1'] }]));
    const body = (await response.json()) as NdjsonLine;
    expect(body.copied).toEqual([]);
    expect(body.skipped).toEqual([expect.objectContaining({ reference: 'v1', reason: 'exists' })]);
    expect(body.bytes).toBe(0);
  });

  it('leaves a different destination tag alone without override and replaces it with override', async () => {
    const other = createTestImage({ layers: 1 });
    await pushImage(dst, 'library/app', other, ['dev-1']);
    const kept = (await (await adapter.post('/api/v1/replications/copy', copy('library/app', 'library/app', [{ tags: ['dev-1'] }]))).json()) as NdjsonLine;
    expect(kept.skipped).toEqual([expect.objectContaining({ reference: 'dev-1', reason: 'override-disabled' })]);
    expect(await digestAt(dst, 'library/app', 'dev-1')).toBe(other.manifest.digest);

    const replaced = (await (await adapter.post('/api/v1/replications/copy', copy('library/app', 'library/app', [{ tags: ['dev-1'] }], { override: true }))).json()) as NdjsonLine;
    expect(replaced.copied).toEqual([expect.objectContaining({ reference: 'dev-1', digest: imageV2.manifest.digest })]);
    expect(await digestAt(dst, 'library/app', 'dev-1')).toBe(imageV2.manifest.digest);
  });

  it('mounts blobs across repositories of the destination instead of copying them', async () => {
    const body = (await (await adapter.post('/api/v1/replications/copy', copy('library/app', 'team/app-copy', [{ tags: ['v1'] }]))).json()) as NdjsonLine;
    expect(body.copied).toHaveLength(1);
    expect(body.blobs!.mounted).toBe(3);
    expect(body.blobs!.copied).toBe(0);
    expect(body.bytes).toBe(0);
    expect(await digestAt(dst, 'team/app-copy', 'v1')).toBe(imageV1.manifest.digest);
  });

  it('answers a missing source as NOT_FOUND in the envelope', async () => {
    const response = await adapter.post('/api/v1/replications/copy', copy('library/absent', 'library/absent', [{ tags: ['v1'] }]));
    expect(response.status).toBe(404);
    expect(((await response.json()) as { errors: { code: string }[] }).errors[0]!.code).toBe('NOT_FOUND');
  });

  it('deletes destination manifests', async () => {
    const response = await adapter.post('/api/v1/replications/delete', { dst_resource: resource(dstRegistry(), 'team/app-copy', [{ tags: ['v1'] }]) });
    expect(response.status).toBe(200);
    expect(await digestAt(dst, 'team/app-copy', 'v1')).toBeUndefined();
  });

  it('aborts mid-blob when the caller hangs up, and resumes the blob on the retry', async () => {
    const size = 48 * 1024 * 1024;
    const { layerDigest, manifestDigest } = await pushLargeImage(src, 'big/blob', 'v1', size);
    const controller = new AbortController();
    const first = await adapter.post('/api/v1/replications/copy', copy('big/blob', 'big/blob', [{ tags: ['v1'] }], { speed: 8 * 1024 }), {
      headers: { Accept: 'application/x-ndjson' },
      signal: controller.signal,
    });
    await ndjson(first, (line) => {
      if (line.type === 'progress' && (line.bytes ?? 0) > 12 * 1024 * 1024) controller.abort();
    }).catch(() => undefined);
    expect(controller.signal.aborted).toBe(true);
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(await blobPresent(dst, 'big/blob', layerDigest)).toBe(false);

    const second = (await (await adapter.post('/api/v1/replications/copy', copy('big/blob', 'big/blob', [{ tags: ['v1'] }]))).json()) as NdjsonLine;
    expect(second.copied).toHaveLength(1);
    expect(await digestAt(dst, 'big/blob', 'v1')).toBe(manifestDigest);
    // Only what the first attempt had not sent flowed the second time.
    expect(second.bytes!).toBeLessThan(size - 10 * 1024 * 1024);
    expect(adapter.logs()).toMatch(/blob upload resumed/);
  });

  it('copies ~500 MB with the adapter process peak RSS under 300 MB', async () => {
    const size = 500 * 1024 * 1024;
    const { manifestDigest } = await pushLargeImage(src, 'big/half-gig', 'v1', size);
    const body = (await (await adapter.post('/api/v1/replications/copy', copy('big/half-gig', 'big/half-gig', [{ tags: ['v1'] }]))).json()) as NdjsonLine;
    expect(body.copied).toHaveLength(1);
    expect(body.bytes).toBeGreaterThanOrEqual(size);
    expect(await digestAt(dst, 'big/half-gig', 'v1')).toBe(manifestDigest);
    const status = readFileSync(`/proc/${adapter.pid}/status`, 'utf8');
    const peak = Number(/^VmHWM:\s+(\d+) kB/m.exec(status)![1]) * 1024;
    expect(peak).toBeLessThan(300 * 1024 * 1024);
  }, 120_000);

  it('never shows credentials in answers or logs', async () => {
    const secrets = [src.password!, dst.password!];
    const answers = await Promise.all([
      adapter.post('/api/v1/replications/copy', copy('library/absent', 'x/y', [{ tags: ['v1'] }])).then((r) => r.text()),
      adapter.post('/api/v1/resources', { registry: srcRegistry(), filters: [] }).then((r) => r.text()),
      adapter.post('/api/v1/registries/info', { registry: srcRegistry() }).then((r) => r.text()),
    ]);
    for (const text of [...answers, adapter.logs()]) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});

import { createHash } from 'node:crypto';
function require_sha(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}
