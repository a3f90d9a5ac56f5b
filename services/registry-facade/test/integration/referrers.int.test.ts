import { MediaType } from '@wharf/oci';
import { blobOf, createTestArtifact, createTestImage } from '@wharf/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { firstError, startRegistry, type RegistryUnderTest } from './harness.js';

interface Index {
  schemaVersion: number;
  mediaType: string;
  manifests: { mediaType: string; digest: string; size: number; artifactType?: string; annotations?: Record<string, string> }[];
}

describe('referrers', () => {
  let registry: RegistryUnderTest;
  const image = createTestImage();
  const sbom = createTestArtifact({ artifactType: 'application/vnd.example.sbom.v1', subject: image.manifest, annotations: { 'org.example.format': 'spdx' } });
  const signature = createTestArtifact({ artifactType: 'application/vnd.example.signature.v1', subject: image.manifest });

  beforeAll(async () => {
    registry = await startRegistry();
    await registry.client.pushImage('library/app', image, 'v1');
    for (const artifact of [sbom, signature]) await registry.client.pushImage('library/app', artifact, artifact.manifest.digest);
  });
  afterAll(async () => registry.stop());

  it('lists the manifests whose subject is the digest, as an OCI image index', async () => {
    const response = await registry.client.request('GET', `/v2/library/app/referrers/${image.manifest.digest}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(MediaType.OciIndex);
    expect(response.headers.get('oci-filters-applied')).toBeNull();
    const index = response.json<Index>();
    expect(index.schemaVersion).toBe(2);
    expect(index.mediaType).toBe(MediaType.OciIndex);
    expect(index.manifests).toHaveLength(2);
    expect(index.manifests).toContainEqual({
      mediaType: MediaType.OciManifest,
      digest: sbom.manifest.digest,
      size: sbom.manifest.size,
      artifactType: 'application/vnd.example.sbom.v1',
      annotations: { 'org.example.format': 'spdx' },
    });
  });

  it('filters on artifactType and says so in OCI-Filters-Applied', async () => {
    const response = await registry.client.request('GET', `/v2/library/app/referrers/${image.manifest.digest}?artifactType=application/vnd.example.signature.v1`);
    expect(response.headers.get('oci-filters-applied')).toBe('artifactType');
    expect(response.json<Index>().manifests.map((m) => m.digest)).toEqual([signature.manifest.digest]);
  });

  it('gives an image manifest without artifactType its config media type', async () => {
    const child = createTestImage();
    const config = child.config;
    const withSubject = blobOf(
      Buffer.from(JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: child.layers.map((l) => ({ mediaType: l.mediaType, digest: l.digest, size: l.size })),
        subject: { mediaType: image.manifest.mediaType, digest: image.manifest.digest, size: image.manifest.size },
      })),
      MediaType.OciManifest,
    );
    await registry.client.pushImage('library/app', { ...child, manifest: withSubject }, withSubject.digest);
    const response = await registry.client.request('GET', `/v2/library/app/referrers/${image.manifest.digest}?artifactType=${MediaType.OciConfig}`);
    expect(response.json<Index>().manifests.map((m) => m.digest)).toEqual([withSubject.digest]);
  });

  it('answers an empty index for a digest nothing refers to, and for an unknown repository', async () => {
    for (const path of [`/v2/library/app/referrers/sha256:${'a'.repeat(64)}`, `/v2/library/none/referrers/${image.manifest.digest}`]) {
      const response = await registry.client.request('GET', path);
      expect(response.status).toBe(200);
      expect(response.json<Index>().manifests).toEqual([]);
    }
  });

  it('refuses an invalid digest with 400', async () => {
    const response = await registry.client.request('GET', '/v2/library/app/referrers/sha256:nope');
    expect(response.status).toBe(400);
    expect(firstError(response.body).code).toBe('DIGEST_INVALID');
  });

  it('drops a deleted referrer from the list', async () => {
    expect((await registry.client.request('DELETE', `/v2/library/app/manifests/${signature.manifest.digest}`)).status).toBe(202);
    const response = await registry.client.request('GET', `/v2/library/app/referrers/${image.manifest.digest}?artifactType=application/vnd.example.signature.v1`);
    expect(response.json<Index>().manifests).toEqual([]);
  });
});
