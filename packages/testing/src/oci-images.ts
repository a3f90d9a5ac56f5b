import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { digestOf, MediaType } from '@wharf/oci';

/** A piece of content with its digest, ready to push or to write into a layout. */
export interface TestBlob {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export interface TestImage {
  config: TestBlob;
  layers: TestBlob[];
  manifest: TestBlob;
  platform: { os: string; architecture: string };
}

export interface TestImageOptions {
  layers?: number;
  /** Bytes of random content per layer (before compression). */
  layerSize?: number;
  platform?: { os: string; architecture: string };
  /** OCI (default) or Docker schema 2 media types. */
  format?: 'oci' | 'docker';
}

export function blobOf(bytes: Buffer, mediaType: string): TestBlob {
  return { bytes, digest: digestOf(bytes), size: bytes.byteLength, mediaType };
}

/** A one-file ustar archive: enough for clients to unpack the layer. */
function tarOf(fileName: string, content: Buffer): Buffer {
  const header = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => header.write(value, offset, length, 'ascii');
  field(0, 100, fileName);
  field(100, 8, '0000644\0');
  field(108, 8, '0000000\0');
  field(116, 8, '0000000\0');
  field(124, 12, `${content.length.toString(8).padStart(11, '0')}\0`);
  field(136, 12, `${Math.floor(Date.UTC(2024, 0, 1) / 1000).toString(8).padStart(11, '0')}\0`);
  field(148, 8, '        ');
  field(156, 1, '0');
  field(257, 6, 'ustar\0');
  field(263, 2, '00');
  let sum = 0;
  for (const byte of header) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  const padding = Buffer.alloc((512 - (content.length % 512)) % 512);
  return Buffer.concat([header, content, padding, Buffer.alloc(1024)]);
}

/** A real image: gzip'd tar layers of random files, a config whose diff_ids match, and its manifest. */
export function createTestImage(options: TestImageOptions = {}): TestImage {
  const format = options.format ?? 'oci';
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const layerType = format === 'oci' ? MediaType.OciLayerTarGzip : MediaType.DockerLayer;
  const diffIds: string[] = [];
  const layers = Array.from({ length: options.layers ?? 2 }, (_, i) => {
    const tar = tarOf(`layer-${i}-${randomBytes(4).toString('hex')}.bin`, randomBytes(options.layerSize ?? 1024));
    diffIds.push(digestOf(tar));
    return blobOf(gzipSync(tar, { level: 1 }), layerType);
  });
  const config = blobOf(
    Buffer.from(
      JSON.stringify({
        architecture: platform.architecture,
        os: platform.os,
        created: '2024-01-01T00:00:00Z',
        config: { Cmd: ['/bin/true'], Env: ['PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'] },
        rootfs: { type: 'layers', diff_ids: diffIds },
        history: layers.map(() => ({ created: '2024-01-01T00:00:00Z', created_by: 'wharf test image factory' })),
      }),
    ),
    format === 'oci' ? MediaType.OciConfig : MediaType.DockerConfig,
  );
  const manifestType = format === 'oci' ? MediaType.OciManifest : MediaType.DockerManifest;
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: manifestType,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: layers.map((layer) => ({ mediaType: layer.mediaType, digest: layer.digest, size: layer.size })),
      }),
    ),
    manifestType,
  );
  return { config, layers, manifest, platform };
}

/** An image index (or Docker manifest list) over the images, one entry per platform. */
export function createTestIndex(images: readonly TestImage[], format: 'oci' | 'docker' = 'oci'): TestBlob {
  const mediaType = format === 'oci' ? MediaType.OciIndex : MediaType.DockerManifestList;
  return blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType,
        manifests: images.map((image) => ({
          mediaType: image.manifest.mediaType,
          digest: image.manifest.digest,
          size: image.manifest.size,
          platform: image.platform,
        })),
      }),
    ),
    mediaType,
  );
}

/** An artifact manifest (OCI 1.1 guidance): empty config, one layer, an artifactType, and optionally a subject. */
export function createTestArtifact(options: { artifactType: string; subject?: TestBlob; annotations?: Record<string, string>; content?: Buffer }): {
  config: TestBlob;
  layers: TestBlob[];
  manifest: TestBlob;
} {
  const config = blobOf(Buffer.from('{}'), MediaType.OciEmpty);
  const layer = blobOf(options.content ?? randomBytes(64), 'application/vnd.wharf.test.payload');
  const manifest = blobOf(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: MediaType.OciManifest,
        artifactType: options.artifactType,
        config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
        layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
        ...(options.subject
          ? { subject: { mediaType: options.subject.mediaType, digest: options.subject.digest, size: options.subject.size } }
          : {}),
        ...(options.annotations ? { annotations: options.annotations } : {}),
      }),
    ),
    MediaType.OciManifest,
  );
  return { config, layers: [layer], manifest };
}

/**
 * Writes an OCI image layout (`oci:<dir>:<tag>` for skopeo and podman) holding the images
 * and indexes, with `tags` naming the manifests or indexes in index.json.
 */
export async function writeOciLayout(dir: string, content: { images: readonly TestImage[]; indexes?: readonly TestBlob[]; tags: Record<string, TestBlob> }): Promise<void> {
  await mkdir(join(dir, 'blobs', 'sha256'), { recursive: true });
  const blobs = [...content.images.flatMap((image) => [image.config, ...image.layers, image.manifest]), ...(content.indexes ?? [])];
  for (const blob of blobs) await writeFile(join(dir, 'blobs', 'sha256', blob.digest.slice('sha256:'.length)), blob.bytes);
  await writeFile(join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  await writeFile(
    join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: MediaType.OciIndex,
      manifests: Object.entries(content.tags).map(([tag, blob]) => ({
        mediaType: blob.mediaType,
        digest: blob.digest,
        size: blob.size,
        annotations: { 'org.opencontainers.image.ref.name': tag },
      })),
    }),
  );
}
