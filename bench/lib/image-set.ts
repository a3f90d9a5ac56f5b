import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { createReadStream, createWriteStream, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { newNonce, type BlobPattern } from './blob-source.ts';
import type { BenchClient, BodyWriter } from './http-client.ts';
import { BenchError } from './operations.ts';

export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json';
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json';
const OCI_LAYER_GZIP = 'application/vnd.oci.image.layer.v1.tar+gzip';

/** A layer kept in a file: gzip (stored blocks, level 0) of incompressible bytes. */
export interface LayerFile {
  name: string;
  path: string;
  /** sha256 of the gzip stream (the blob's digest). */
  digest: string;
  size: number;
  /** sha256 of the uncompressed bytes (the config's diff_id). */
  diffId: string;
}

/** A small blob held in memory (config, manifest). */
export interface SmallBlob {
  bytes: Buffer;
  digest: string;
  size: number;
  mediaType: string;
}

export interface BenchImage {
  repository: string;
  tag: string;
  layers: LayerFile[];
  config: SmallBlob;
  manifest: SmallBlob;
}

export interface ImageSet {
  images: BenchImage[];
  /** Every distinct layer once (shared bases first). */
  layers: LayerFile[];
  /** Bytes of every distinct blob (layers and configs): what a copy must move at least once. */
  distinctBytes: number;
  /** Bytes of the blobs as the images reference them (shared layers counted per image). */
  logicalBytes: number;
  /** Removes the layer files. */
  remove(): void;
}

export interface ImageSetShape {
  /** Distinct bytes of the whole set (bases and unique layers), 10^6-byte MB. */
  totalBytes: number;
  images: number;
}

function small(bytes: Buffer, mediaType: string): SmallBlob {
  return { bytes, size: bytes.byteLength, mediaType, digest: `sha256:${createHash('sha256').update(bytes).digest('hex')}` };
}

/** A pass-through that hashes and counts what flows. */
function hashing(hash: ReturnType<typeof createHash>, counted: { bytes: number }): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      hash.update(chunk);
      counted.bytes += chunk.byteLength;
      callback(null, chunk);
    },
  });
}

/** Writes `rawSize` fresh incompressible bytes, gzipped (level 0: stored blocks, cheap), into `path`. */
async function writeLayer(path: string, name: string, pattern: BlobPattern, rawSize: number): Promise<LayerFile> {
  const raw = createHash('sha256');
  const gz = createHash('sha256');
  const rawCount = { bytes: 0 };
  const gzCount = { bytes: 0 };
  await pipeline(
    Readable.from(pattern.chunks(newNonce(), rawSize)),
    hashing(raw, rawCount),
    createGzip({ level: 0 }),
    hashing(gz, gzCount),
    createWriteStream(path),
  );
  if (rawCount.bytes !== rawSize) throw new BenchError(`layer ${name}: wrote ${rawCount.bytes} of ${rawSize} bytes`);
  return { name, path, size: gzCount.bytes, digest: `sha256:${gz.digest('hex')}`, diffId: `sha256:${raw.digest('hex')}` };
}

/**
 * `shape.images` images, `<prefix>/app-NN:v1`, built from fresh random content (a new nonce
 * per layer, so nothing of an earlier set is found or mounted anywhere) so that they share
 * base layers as images built FROM common bases do:
 *   base-os       10 % of the total, in every image
 *   base-runtime   6 %, in every image
 *   base-tools     4 %, in the first half of the images
 *   two layers of the image's own (60/40) sharing the remaining 80 % evenly.
 * Distinct data: the total; layers referenced: about 4.2 times as much (20 images).
 */
export async function buildImageSet(dir: string, prefix: string, pattern: BlobPattern, shape: ImageSetShape): Promise<ImageSet> {
  const layers: LayerFile[] = [];
  const layer = async (name: string, rawSize: number): Promise<LayerFile> => {
    const written = await writeLayer(join(dir, `${prefix.replaceAll('/', '_')}-${name}.gz`), name, pattern, Math.max(1024, Math.round(rawSize)));
    layers.push(written);
    return written;
  };
  const total = shape.totalBytes;
  const os = await layer('base-os', total * 0.1);
  const runtime = await layer('base-runtime', total * 0.06);
  const tools = await layer('base-tools', total * 0.04);
  const own = (total * 0.8) / shape.images;
  const images: BenchImage[] = [];
  for (let i = 1; i <= shape.images; i += 1) {
    const id = String(i).padStart(2, '0');
    const bases = i <= Math.ceil(shape.images / 2) ? [os, runtime, tools] : [os, runtime];
    const imageLayers = [...bases, await layer(`app-${id}-deps`, own * 0.6), await layer(`app-${id}-code`, own * 0.4)];
    const config = small(
      Buffer.from(
        JSON.stringify({
          architecture: 'amd64',
          os: 'linux',
          config: { Env: ['PATH=/usr/local/bin:/usr/bin:/bin'], Cmd: [`/app-${id}`], Labels: { 'io.wharf.bench': prefix } },
          rootfs: { type: 'layers', diff_ids: imageLayers.map((l) => l.diffId) },
          history: imageLayers.map((l) => ({ created_by: `bench ${l.name}` })),
        }),
      ),
      OCI_CONFIG,
    );
    const manifest = small(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: OCI_MANIFEST,
          config: { mediaType: OCI_CONFIG, digest: config.digest, size: config.size },
          layers: imageLayers.map((l) => ({ mediaType: OCI_LAYER_GZIP, digest: l.digest, size: l.size })),
        }),
      ),
      OCI_MANIFEST,
    );
    images.push({ repository: `${prefix}/app-${id}`, tag: 'v1', layers: imageLayers, config, manifest });
  }
  const distinctBytes = layers.reduce((sum, l) => sum + l.size, 0) + images.reduce((sum, image) => sum + image.config.size, 0);
  const logicalBytes = images.reduce((sum, image) => sum + image.config.size + image.layers.reduce((s, l) => s + l.size, 0), 0);
  return {
    images,
    layers,
    distinctBytes,
    logicalBytes,
    remove: () => {
      for (const l of layers) rmSync(l.path, { force: true });
    },
  };
}

function expectStatus(status: number, wanted: number, what: string, body: Buffer): void {
  if (status !== wanted) throw new BenchError(`${what}: expected ${wanted}, got ${status}: ${body.toString('utf8').slice(0, 300)}`);
}

/** Streams a file into a request body with backpressure; never holds more than one read. */
function fileBody(path: string): BodyWriter {
  return async (req) => {
    for await (const chunk of createReadStream(path, { highWaterMark: 1024 * 1024 })) {
      if (!req.write(chunk as Buffer)) await once(req, 'drain');
    }
  };
}

async function pushLayer(client: BenchClient, repository: string, layer: LayerFile): Promise<void> {
  const session = await client.send('POST', `/v2/${repository}/blobs/uploads/`, { headers: { 'Content-Length': 0 } });
  expectStatus(session.status, 202, `start upload ${layer.name}`, session.body);
  const patched = await client.send('PATCH', session.headers.location!, {
    headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': layer.size },
    body: fileBody(layer.path),
  });
  expectStatus(patched.status, 202, `upload ${layer.name}`, patched.body);
  const url = client.url(patched.headers.location!);
  url.searchParams.set('digest', layer.digest);
  const done = await client.send('PUT', url, { headers: { 'Content-Length': 0 } });
  expectStatus(done.status, 201, `complete upload ${layer.name}`, done.body);
}

/**
 * Pushes the set to a registry without auth (the source distribution): each distinct layer
 * streamed from its file once, mounted into the other repositories that use it; configs
 * and manifests whole. Manifests by tag, last.
 */
export async function pushImageSet(client: BenchClient, set: ImageSet): Promise<void> {
  const holder = new Map<string, string>();
  for (const image of set.images) {
    for (const layer of image.layers) {
      const from = holder.get(layer.digest);
      if (from !== undefined) {
        const mount = await client.send('POST', `/v2/${image.repository}/blobs/uploads/?mount=${encodeURIComponent(layer.digest)}&from=${encodeURIComponent(from)}`, {
          headers: { 'Content-Length': 0 },
        });
        if (mount.status === 201) continue;
        // 202: not mounted (an upload session was opened instead): upload as usual.
        if (mount.status === 202) await client.send('DELETE', mount.headers.location!, { headers: { 'Content-Length': 0 } });
      }
      await pushLayer(client, image.repository, layer);
      holder.set(layer.digest, image.repository);
    }
    const session = await client.send('POST', `/v2/${image.repository}/blobs/uploads/`, { headers: { 'Content-Length': 0 } });
    expectStatus(session.status, 202, 'start config upload', session.body);
    const url = client.url(session.headers.location!);
    url.searchParams.set('digest', image.config.digest);
    const config = await client.send('PUT', url, { headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': image.config.size }, body: image.config.bytes });
    expectStatus(config.status, 201, 'push config', config.body);
    const manifest = await client.send('PUT', `/v2/${image.repository}/manifests/${image.tag}`, {
      headers: { 'Content-Type': image.manifest.mediaType, 'Content-Length': image.manifest.size },
      body: image.manifest.bytes,
    });
    expectStatus(manifest.status, 201, `put manifest ${image.repository}:${image.tag}`, manifest.body);
    if (manifest.headers['docker-content-digest'] !== image.manifest.digest) {
      throw new BenchError(`put manifest ${image.repository}: registry answered digest ${String(manifest.headers['docker-content-digest'])}, not ${image.manifest.digest}`);
    }
  }
}
