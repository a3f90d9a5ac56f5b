import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import { digestOf, MediaType } from '@wharf/oci';
import { blobOf, createTestArtifact, createTestImage, createTestIndex } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

describe('manifests', () => {
  let registry: RegistryUnderTest;
  beforeAll(async () => {
    registry = await startRegistry();
  });
  afterAll(async () => registry.stop());

  it('stores an OCI image manifest by tag and serves its exact bytes by tag and by digest', async () => {
    const image = createTestImage({ layers: 3 });
    for (const blob of [image.config, ...image.layers]) await registry.client.pushBlob('library/oci', blob);
    const pushed = await registry.client.pushManifest('library/oci', 'v1', image.manifest);
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('location')).toBe(`/v2/library/oci/manifests/${image.manifest.digest}`);
    expect(pushed.headers.get('docker-content-digest')).toBe(image.manifest.digest);

    for (const reference of ['v1', image.manifest.digest]) {
      const fetched = await registry.client.request('GET', `/v2/library/oci/manifests/${reference}`, { headers: { Accept: MediaType.OciManifest } });
      expect(fetched.status).toBe(200);
      expect(fetched.headers.get('content-type')).toBe(MediaType.OciManifest);
      expect(fetched.headers.get('docker-content-digest')).toBe(image.manifest.digest);
      expect(fetched.body).toEqual(image.manifest.bytes);
      const head = await registry.client.request('HEAD', `/v2/library/oci/manifests/${reference}`);
      expect(head.status).toBe(200);
      expect(head.headers.get('content-length')).toBe(String(image.manifest.size));
      expect(head.headers.get('docker-content-digest')).toBe(image.manifest.digest);
      expect(head.body.byteLength).toBe(0);
    }
  });

  it('stores Docker schema 2 manifests and manifest lists', async () => {
    const amd = createTestImage({ format: 'docker' });
    const arm = createTestImage({ format: 'docker', platform: { os: 'linux', architecture: 'arm64' } });
    await registry.client.pushImage('library/docker', amd, amd.manifest.digest);
    await registry.client.pushImage('library/docker', arm, arm.manifest.digest);
    const list = createTestIndex([amd, arm], 'docker');
    expect((await registry.client.pushManifest('library/docker', 'multi', list)).status).toBe(201);
    const fetched = await registry.client.request('GET', '/v2/library/docker/manifests/multi', {
      headers: { Accept: `${MediaType.DockerManifestList}, ${MediaType.DockerManifest}` },
    });
    expect(fetched.headers.get('content-type')).toBe(MediaType.DockerManifestList);
    expect(fetched.body).toEqual(list.bytes);
  });

  it('stores a two-platform OCI index whose children were pushed first', async () => {
    const images = [createTestImage(), createTestImage({ platform: { os: 'linux', architecture: 'arm64' } })];
    for (const image of images) await registry.client.pushImage('library/index', image, image.manifest.digest);
    const index = createTestIndex(images);
    const pushed = await registry.client.pushManifest('library/index', 'latest', index);
    expect(pushed.status).toBe(201);
    const fetched = await registry.client.request('GET', '/v2/library/index/manifests/latest', { headers: { Accept: MediaType.OciIndex } });
    expect(fetched.body).toEqual(index.bytes);
  });

  it('negotiates on Accept: an index pulled by a client that cannot read indexes gets the linux/amd64 image', async () => {
    const images = [createTestImage({ platform: { os: 'linux', architecture: 'arm64' } }), createTestImage()];
    for (const image of images) await registry.client.pushImage('library/negotiate', image, image.manifest.digest);
    await registry.client.pushManifest('library/negotiate', 'multi', createTestIndex(images));
    const fetched = await registry.client.request('GET', '/v2/library/negotiate/manifests/multi', { headers: { Accept: MediaType.OciManifest } });
    expect(fetched.status).toBe(200);
    expect(fetched.headers.get('docker-content-digest')).toBe(images[1]!.manifest.digest);
  });

  it('answers MANIFEST_UNKNOWN when the client accepts none of the stored type', async () => {
    const image = createTestImage();
    await registry.client.pushImage('library/negotiate', image, 'oci-only');
    const fetched = await registry.client.request('GET', '/v2/library/negotiate/manifests/oci-only', { headers: { Accept: MediaType.DockerManifest } });
    expect(fetched.status).toBe(404);
    expect(firstError(fetched.body).code).toBe('MANIFEST_UNKNOWN');
    const wildcard = await registry.client.request('GET', '/v2/library/negotiate/manifests/oci-only', { headers: { Accept: '*/*' } });
    expect(wildcard.status).toBe(200);
  });

  it('stores an artifact with artifactType, empty config and a subject, answering OCI-Subject', async () => {
    const image = createTestImage();
    await registry.client.pushImage('library/art', image, 'v1');
    const artifact = createTestArtifact({ artifactType: 'application/vnd.example.sbom.v1', subject: image.manifest, annotations: { 'org.example.kind': 'sbom' } });
    for (const blob of [artifact.config, ...artifact.layers]) await registry.client.pushBlob('library/art', blob);
    const pushed = await registry.client.pushManifest('library/art', artifact.manifest.digest, artifact.manifest);
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('oci-subject')).toBe(image.manifest.digest);
  });

  it('accepts a manifest whose subject is not (yet) in the repository', async () => {
    const missingSubject = blobOf(Buffer.from('{"schemaVersion":2}'), MediaType.OciManifest);
    const artifact = createTestArtifact({ artifactType: 'application/vnd.example.sig', subject: missingSubject });
    for (const blob of [artifact.config, ...artifact.layers]) await registry.client.pushBlob('library/art', blob);
    expect((await registry.client.pushManifest('library/art', artifact.manifest.digest, artifact.manifest)).status).toBe(201);
  });

  it('refuses a manifest that references a blob the repository lacks with MANIFEST_BLOB_UNKNOWN, storing nothing', async () => {
    const image = createTestImage({ layers: 2 });
    await registry.client.pushBlob('library/missing', image.config);
    await registry.client.pushBlob('library/missing', image.layers[0]!);
    const pushed = await registry.client.pushManifest('library/missing', 'v1', image.manifest);
    expect(pushed.status).toBe(400);
    const error = firstError(pushed.body);
    expect(error.code).toBe('MANIFEST_BLOB_UNKNOWN');
    expect(error.detail).toEqual({ digests: [image.layers[1]!.digest] });
    expect(await registry.sql('SELECT * FROM manifest WHERE digest = $1', [image.manifest.digest])).toEqual([]);
    expect((await registry.client.request('GET', '/v2/library/missing/manifests/v1')).status).toBe(404);
  });

  it('refuses an index whose child manifest the repository lacks with MANIFEST_BLOB_UNKNOWN', async () => {
    const image = createTestImage();
    const pushed = await registry.client.pushManifest('library/missing', 'idx', createTestIndex([image]));
    expect(pushed.status).toBe(400);
    expect(firstError(pushed.body).code).toBe('MANIFEST_BLOB_UNKNOWN');
  });

  it('refuses a body that does not match the digest reference with DIGEST_INVALID', async () => {
    const image = createTestImage();
    await registry.client.pushImage('library/digest', image, 'v1');
    const other = `sha256:${'1'.repeat(64)}`;
    const pushed = await registry.client.pushManifest('library/digest', other, image.manifest);
    expect(pushed.status).toBe(400);
    expect(firstError(pushed.body).code).toBe('DIGEST_INVALID');
    expect((await registry.client.request('HEAD', `/v2/library/digest/manifests/${other}`)).status).toBe(404);
  });

  it.each([
    ['not JSON', Buffer.from('{"schemaVersion": 2,'), MediaType.OciManifest],
    ['a JSON array', Buffer.from('[]'), MediaType.OciManifest],
    ['a manifest without layers', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciManifest, config: { mediaType: MediaType.OciConfig, digest: digestOf('x'), size: 1 } })), MediaType.OciManifest],
    ['a wrong schemaVersion', Buffer.from(JSON.stringify({ schemaVersion: 3, mediaType: MediaType.OciIndex, manifests: [] })), MediaType.OciIndex],
    ['a bad descriptor digest', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ mediaType: MediaType.OciManifest, digest: 'nope', size: 1 }] })), MediaType.OciIndex],
    ['a mediaType that contradicts Content-Type', Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [] })), MediaType.OciManifest],
    ['a Docker schema 1 manifest', Buffer.from(JSON.stringify({ schemaVersion: 1, name: 'x', tag: 'y', fsLayers: [] })), MediaType.DockerSchema1Signed],
    ['an unknown manifest type', Buffer.from('{}'), 'application/vnd.example.unknown+json'],
  ])('refuses %s with MANIFEST_INVALID', async (_case, body, contentType) => {
    const pushed = await registry.client.request('PUT', '/v2/library/invalid/manifests/v1', { headers: { 'Content-Type': contentType }, body });
    expect(pushed.status).toBe(400);
    expect(firstError(pushed.body).code).toBe('MANIFEST_INVALID');
  });

  it('refuses a 5 MiB manifest with 413 and stores nothing', async () => {
    const huge = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [], annotations: { pad: 'x'.repeat(5 * 1024 * 1024) } }));
    const pushed = await registry.client.request('PUT', '/v2/library/huge/manifests/v1', { headers: { 'Content-Type': MediaType.OciIndex }, body: huge });
    expect(pushed.status).toBe(413);
    expect(firstError(pushed.body).code).toBe('MANIFEST_INVALID');
    expect(await registry.sql('SELECT * FROM manifest')).not.toContainEqual(expect.objectContaining({ digest: digestOf(huge) }));
  });

  it('refuses a chunked 5 MiB manifest with 413 and goes on serving (the early answer closes the connection mid-body)', async () => {
    const { hostname, port } = new URL(registry.url);
    const status = await new Promise<number | string>((resolve) => {
      const req = httpRequest({ host: hostname, port, method: 'PUT', path: '/v2/library/huge/manifests/chunked', headers: { 'Content-Type': MediaType.OciIndex } }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
      // No Content-Length: the limit is found while reading, after the first 4 MiB.
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      for (let i = 0; i < 80; i += 1) req.write(chunk);
      req.end();
    });
    expect([413, 'EPIPE', 'ECONNRESET']).toContain(status);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await registry.client.request('GET', '/v2/')).status).toBe(200);
  });

  it('accepts a manifest of exactly 4 MiB', async () => {
    const base = JSON.stringify({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [], annotations: { pad: '' } });
    const body = Buffer.from(base.replace('"pad":""', `"pad":"${'x'.repeat(4 * 1024 * 1024 - base.length)}"`));
    expect(body.byteLength).toBe(4 * 1024 * 1024);
    const pushed = await registry.client.request('PUT', '/v2/library/huge/manifests/v1', { headers: { 'Content-Type': MediaType.OciIndex }, body });
    expect(pushed.status).toBe(201);
  });

  it.each(['-leading-dash', '.dot', 'has:colon', 'a'.repeat(129), 'spa ce'])('refuses the tag %j', async (tag) => {
    const image = createTestImage();
    const pushed = await registry.client.pushManifest('library/tags', encodeURIComponent(tag), image.manifest);
    expect(pushed.status).toBe(400);
    expect(['TAG_INVALID', 'DIGEST_INVALID']).toContain(firstError(pushed.body).code);
  });

  it('tags a manifest pushed by digest with every ?tag= and lists them in OCI-Tag', async () => {
    const image = createTestImage();
    for (const blob of [image.config, ...image.layers]) await registry.client.pushBlob('library/multitag', blob);
    const pushed = await registry.client.request('PUT', `/v2/library/multitag/manifests/${image.manifest.digest}?tag=1.2.3&tag=1.2&tag=latest`, {
      headers: { 'Content-Type': image.manifest.mediaType },
      body: image.manifest.bytes,
    });
    expect(pushed.status).toBe(201);
    expect(pushed.headers.get('oci-tag')).toBe('1.2.3, 1.2, latest');
    for (const tag of ['1.2.3', '1.2', 'latest']) {
      expect((await registry.client.request('HEAD', `/v2/library/multitag/manifests/${tag}`)).headers.get('docker-content-digest')).toBe(image.manifest.digest);
    }
  });

  it('moves a tag to the manifest pushed last', async () => {
    const first = createTestImage();
    const second = createTestImage();
    await registry.client.pushImage('library/move', first, 'stable');
    await registry.client.pushImage('library/move', second, 'stable');
    const head = await registry.client.request('HEAD', '/v2/library/move/manifests/stable');
    expect(head.headers.get('docker-content-digest')).toBe(second.manifest.digest);
    expect((await registry.client.request('HEAD', `/v2/library/move/manifests/${first.manifest.digest}`)).status).toBe(200);
  });

  it('deletes a tag (202) and keeps the manifest; deletes a manifest (202) with its tags', async () => {
    const image = createTestImage();
    await registry.client.pushImage('library/delete', image, 'a');
    await registry.client.pushManifest('library/delete', 'b', image.manifest);
    expect((await registry.client.request('DELETE', '/v2/library/delete/manifests/a')).status).toBe(202);
    expect((await registry.client.request('GET', '/v2/library/delete/manifests/a')).status).toBe(404);
    expect((await registry.client.request('GET', '/v2/library/delete/manifests/b')).status).toBe(200);
    expect((await registry.client.request('DELETE', `/v2/library/delete/manifests/${image.manifest.digest}`)).status).toBe(202);
    for (const reference of ['b', image.manifest.digest]) {
      const gone = await registry.client.request('GET', `/v2/library/delete/manifests/${reference}`);
      expect(gone.status).toBe(404);
      expect(firstError(gone.body).code).toBe('MANIFEST_UNKNOWN');
    }
    const again = await registry.client.request('DELETE', `/v2/library/delete/manifests/${image.manifest.digest}`);
    expect(again.status).toBe(404);
  });

  it('answers NAME_UNKNOWN for a repository that does not exist', async () => {
    const response = await registry.client.request('GET', '/v2/library/never-pushed/manifests/latest');
    expect(response.status).toBe(404);
    expect(firstError(response.body).code).toBe('NAME_UNKNOWN');
  });

  it('answers DIGEST_INVALID for a malformed digest reference', async () => {
    const response = await registry.client.request('GET', '/v2/library/oci/manifests/sha256:xyz');
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
  });

  it('refuses a layer whose size in the manifest differs from the stored blob', async () => {
    const bytes = randomBytes(100);
    const layer = blobOf(bytes, MediaType.OciLayerTarGzip);
    const config = blobOf(Buffer.from('{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}'), MediaType.OciConfig);
    await registry.client.pushBlob('library/size', layer);
    await registry.client.pushBlob('library/size', config);
    const manifest = blobOf(
      Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: 99 }],
      })),
      MediaType.OciManifest,
    );
    const pushed = await registry.client.pushManifest('library/size', 'v1', manifest);
    expect(pushed.status).toBe(400);
    expect(firstError(pushed.body).code).toBe('MANIFEST_INVALID');
  });

  it('skips foreign layers, which live elsewhere', async () => {
    const config = blobOf(Buffer.from('{"architecture":"amd64","os":"windows","rootfs":{"type":"layers","diff_ids":[]}}'), MediaType.DockerConfig);
    await registry.client.pushBlob('library/windows', config);
    const manifest = blobOf(
      Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.DockerManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [{ mediaType: MediaType.DockerForeignLayer, digest: digestOf('foreign'), size: 1234, urls: ['https://example.com/layer.tar.gz'] }],
      })),
      MediaType.DockerManifest,
    );
    expect((await registry.client.pushManifest('library/windows', 'ltsc', manifest)).status).toBe(201);
  });
});
