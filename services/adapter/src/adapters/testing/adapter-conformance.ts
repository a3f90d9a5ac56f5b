import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isArtifactSink, isArtifactSource, isBlobMounter, type ArtifactSink, type ArtifactSource, type RegistryAdapter } from '../registry-adapter.js';

export interface AdapterUnderTest {
  adapter: RegistryAdapter;
  /** A repository name prefix this run owns (e.g. `conformance-<random>`). */
  namespace: string;
  cleanup?(): Promise<void>;
}

const sha = (bytes: Buffer) => `sha256:${createHash('sha256').update(bytes).digest('hex')}`;

async function push(sink: ArtifactSink, repository: string, bytes: Buffer, options: { chunk?: number } = {}): Promise<string> {
  const digest = sha(bytes);
  let session = await sink.startUpload(repository);
  if (options.chunk) {
    for (let offset = 0; offset < bytes.byteLength; offset += options.chunk) {
      const piece = bytes.subarray(offset, offset + options.chunk);
      session = await sink.appendUpload(repository, session, Readable.from([piece]), { length: piece.byteLength });
    }
  } else {
    session = await sink.appendUpload(repository, session, Readable.from([bytes]), {});
  }
  await sink.completeUpload(repository, session, digest);
  return digest;
}

/**
 * The behaviour every RegistryAdapter promises, run against a real registry: info and
 * health, and for the capabilities it has, blob upload (streamed and chunked, with the
 * upload status), manifest push/head/pull by tag and digest, tag listing, artifact
 * listing with filters, cross-repository mount and deletion.
 */
export function describeAdapter(name: string, start: () => Promise<AdapterUnderTest>): void {
  describe(`${name} adapter conformance`, () => {
    let subject: AdapterUnderTest;
    const repo = (suffix: string) => `${subject.namespace}/${suffix}`;

    beforeAll(async () => {
      subject = await start();
    });
    afterAll(async () => {
      await subject?.adapter.close?.();
      await subject?.cleanup?.();
    });

    it('describes itself and reports healthy', async () => {
      const info = await subject.adapter.info();
      expect(info.type).toBe(subject.adapter.registry.type);
      expect(info.supported_resource_filters.map((f) => f.type)).toContain('name');
      expect(await subject.adapter.healthCheck()).toBe('healthy');
    });

    it('is a source and a sink', () => {
      expect(isArtifactSource(subject.adapter)).toBe(true);
      expect(isArtifactSink(subject.adapter)).toBe(true);
    });

    it('uploads blobs streamed and in chunks, and tells an upload offset', async () => {
      const sink = subject.adapter as RegistryAdapter & ArtifactSink;
      const streamed = await push(sink, repo('blobs'), randomBytes(70_000));
      const chunked = await push(sink, repo('blobs'), randomBytes(70_000), { chunk: 30_000 });
      expect(await sink.blobExists(repo('blobs'), streamed)).toBe(true);
      expect(await sink.blobExists(repo('blobs'), chunked)).toBe(true);
      expect(await sink.blobExists(repo('blobs'), sha(Buffer.from('never pushed')))).toBe(false);

      const session = await sink.startUpload(repo('blobs'));
      const after = await sink.appendUpload(repo('blobs'), session, Readable.from([randomBytes(1000)]), {});
      const status = await sink.uploadStatus(repo('blobs'), after.location);
      expect(status?.offset).toBe(1000);
      await sink.cancelUpload(repo('blobs'), status!.location);
    });

    it('pushes, finds, pulls, lists, mounts and deletes manifests', async () => {
      const adapter = subject.adapter as RegistryAdapter & ArtifactSink & ArtifactSource;
      const config = Buffer.from(JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } }));
      const layer = randomBytes(5000);
      const [configDigest, layerDigest] = [await push(adapter, repo('app'), config), await push(adapter, repo('app'), layer)];
      const manifest = Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: configDigest, size: config.byteLength },
          layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: layerDigest, size: layer.byteLength }],
        }),
      );
      const digest = sha(manifest);
      await adapter.pushManifest(repo('app'), 'v1', { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: manifest });
      await adapter.pushManifest(repo('app'), 'v2', { mediaType: 'application/vnd.oci.image.manifest.v1+json', bytes: manifest });
      expect((await adapter.headManifest(repo('app'), 'v1'))?.digest).toBe(digest);
      expect(await adapter.headManifest(repo('app'), 'absent')).toBeUndefined();
      const pulled = await adapter.pullManifest(repo('app'), digest);
      expect(pulled.bytes.equals(manifest)).toBe(true);
      expect(pulled.mediaType).toBe('application/vnd.oci.image.manifest.v1+json');
      expect((await adapter.listTags(repo('app'))).sort()).toEqual(['v1', 'v2']);
      const blob = await adapter.pullBlob(repo('app'), layerDigest, { offset: 1000 });
      const rest = Buffer.concat(await blob.body.toArray());
      expect(Buffer.concat([layer.subarray(0, blob.offset), rest]).equals(layer)).toBe(true);

      const resources = await adapter.fetchArtifacts([
        { type: 'name', value: `${subject.namespace}/app` },
        { type: 'tag', value: 'v1' },
      ]);
      expect(resources).toHaveLength(1);
      expect(resources[0]!.metadata.artifacts).toEqual([expect.objectContaining({ digest, tags: ['v1'] })]);

      if (isBlobMounter(adapter)) {
        expect(await adapter.mountBlob(repo('app'), layerDigest, repo('mounted'))).toBe(true);
        expect(await adapter.blobExists(repo('mounted'), layerDigest)).toBe(true);
      }

      await adapter.deleteManifest(repo('app'), digest);
      expect(await adapter.headManifest(repo('app'), 'v1')).toBeUndefined();
    });
  });
}
