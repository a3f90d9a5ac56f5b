import { createHash, randomBytes } from 'node:crypto';
import { createTestImage, createTestIndex, type TestBlob, type TestImage } from '@wharf/testing';
import type { Distribution } from './registries.js';

async function call(registry: Distribution, repository: string, method: string, path: string, init: { headers?: Record<string, string>; body?: Buffer | AsyncIterable<Uint8Array> } = {}): Promise<Response> {
  const auth = await registry.adminAuth(`repository:${repository}:pull,push,delete`);
  return fetch(path.startsWith('http') ? path : `${registry.url}${path}`, {
    method,
    headers: { ...init.headers, ...(auth ? { Authorization: auth } : {}) },
    body: init.body,
    redirect: 'manual',
    ...(init.body && !Buffer.isBuffer(init.body) ? { duplex: 'half' } : {}),
  });
}

export async function pushBlob(registry: Distribution, repository: string, blob: { bytes: Buffer; digest: string }): Promise<void> {
  const start = await call(registry, repository, 'POST', `/v2/${repository}/blobs/uploads/`);
  await start.arrayBuffer();
  if (start.status !== 202) throw new Error(`upload start answered ${start.status}`);
  const location = new URL(start.headers.get('location')!, registry.url);
  location.searchParams.set('digest', blob.digest);
  const put = await call(registry, repository, 'PUT', location.toString(), { headers: { 'Content-Type': 'application/octet-stream' }, body: blob.bytes });
  const text = await put.text();
  if (put.status !== 201) throw new Error(`blob push answered ${put.status}: ${text}`);
}

export async function pushManifest(registry: Distribution, repository: string, reference: string, manifest: TestBlob): Promise<void> {
  const response = await call(registry, repository, 'PUT', `/v2/${repository}/manifests/${reference}`, { headers: { 'Content-Type': manifest.mediaType }, body: manifest.bytes });
  const text = await response.text();
  if (response.status !== 201) throw new Error(`manifest push answered ${response.status}: ${text}`);
}

export async function pushImage(registry: Distribution, repository: string, image: TestImage, tags: readonly string[]): Promise<void> {
  for (const blob of [image.config, ...image.layers]) await pushBlob(registry, repository, blob);
  for (const tag of tags) await pushManifest(registry, repository, tag, image.manifest);
}

export async function pushIndex(registry: Distribution, repository: string, images: readonly TestImage[], tags: readonly string[]): Promise<TestBlob> {
  for (const image of images) {
    for (const blob of [image.config, ...image.layers]) await pushBlob(registry, repository, blob);
    await pushManifest(registry, repository, image.manifest.digest, image.manifest);
  }
  const index = createTestIndex(images);
  for (const tag of tags) await pushManifest(registry, repository, tag, index);
  return index;
}

/** The digest the registry answers for `reference`, or undefined. */
export async function digestAt(registry: Distribution, repository: string, reference: string): Promise<string | undefined> {
  const response = await call(registry, repository, 'HEAD', `/v2/${repository}/manifests/${reference}`, {
    headers: { Accept: 'application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json, application/vnd.docker.distribution.manifest.list.v2+json' },
  });
  await response.arrayBuffer();
  return response.status === 200 ? (response.headers.get('docker-content-digest') ?? undefined) : undefined;
}

export async function blobPresent(registry: Distribution, repository: string, digest: string): Promise<boolean> {
  const response = await call(registry, repository, 'HEAD', `/v2/${repository}/blobs/${digest}`);
  await response.arrayBuffer();
  return response.status === 200;
}

/**
 * Pushes an image with one large layer streamed from a generator (never whole in memory):
 * `size` bytes of incompressible content (a random MiB with a counter in each).
 */
export async function pushLargeImage(registry: Distribution, repository: string, tag: string, size: number): Promise<{ manifestDigest: string; layerDigest: string }> {
  const seed = randomBytes(1024 * 1024);
  const hash = createHash('sha256');
  async function* content(): AsyncGenerator<Uint8Array> {
    for (let offset = 0, n = 0; offset < size; offset += seed.byteLength, n++) {
      const piece = Buffer.from(seed.subarray(0, Math.min(seed.byteLength, size - offset)));
      piece.writeUInt32BE(n, 0);
      hash.update(piece);
      yield piece;
    }
  }
  const start = await call(registry, repository, 'POST', `/v2/${repository}/blobs/uploads/`);
  await start.arrayBuffer();
  const patch = await call(registry, repository, 'PATCH', new URL(start.headers.get('location')!, registry.url).toString(), { headers: { 'Content-Type': 'application/octet-stream' }, body: content() });
  await patch.arrayBuffer();
  if (patch.status !== 202) throw new Error(`large PATCH answered ${patch.status}`);
  const layerDigest = `sha256:${hash.digest('hex')}`;
  const location = new URL(patch.headers.get('location')!, registry.url);
  location.searchParams.set('digest', layerDigest);
  const put = await call(registry, repository, 'PUT', location.toString());
  await put.arrayBuffer();
  if (put.status !== 201) throw new Error(`large PUT answered ${put.status}`);
  const image = createTestImage({ layers: 1, layerSize: 16 });
  const manifestBytes = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: { mediaType: image.config.mediaType, digest: image.config.digest, size: image.config.size },
      layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', digest: layerDigest, size }],
    }),
  );
  await pushBlob(registry, repository, image.config);
  const manifest: TestBlob = { bytes: manifestBytes, digest: `sha256:${createHash('sha256').update(manifestBytes).digest('hex')}`, size: manifestBytes.byteLength, mediaType: 'application/vnd.oci.image.manifest.v1+json' };
  await pushManifest(registry, repository, tag, manifest);
  return { manifestDigest: manifest.digest, layerDigest };
}
