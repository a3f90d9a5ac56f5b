import { performance } from 'node:perf_hooks';
import { blobOf, type TestBlob } from '../../packages/testing/dist/index.js';
import type { BlobPattern } from './blob-source.ts';
import { streamChunks, type BenchClient, type HttpAnswer } from './http-client.ts';

export class BenchError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BenchError';
  }
}

function expect(answer: HttpAnswer, status: number, what: string): HttpAnswer {
  if (answer.status !== status) {
    throw new BenchError(`${what}: expected ${status}, got ${answer.status}: ${answer.body.toString('utf8').slice(0, 500)}`);
  }
  return answer;
}

function location(answer: HttpAnswer, what: string): string {
  const value = answer.headers.location;
  if (!value) throw new BenchError(`${what}: no Location header`);
  return value;
}

function withDigest(client: BenchClient, target: string, digest: string): URL {
  const url = client.url(target);
  url.searchParams.set('digest', digest);
  return url;
}

/**
 * Pushes a streamed blob the way docker does: POST a session, one PATCH with the whole body
 * (Content-Length known, body generated on the fly), then the closing PUT with the digest.
 * Returns the seconds from the POST to the 201 of the PUT.
 */
export async function pushStreamedBlob(
  client: BenchClient,
  repository: string,
  pattern: BlobPattern,
  blob: { nonce: Buffer; size: number; digest: string },
): Promise<number> {
  const started = performance.now();
  const session = expect(await client.send('POST', `/v2/${repository}/blobs/uploads/`, { headers: { 'Content-Length': 0 } }), 202, 'start upload');
  const patched = expect(
    await client.send('PATCH', location(session, 'start upload'), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size },
      body: streamChunks(pattern.chunks(blob.nonce, blob.size)),
    }),
    202,
    'upload chunk',
  );
  const done = expect(
    await client.send('PUT', withDigest(client, location(patched, 'upload chunk'), blob.digest), { headers: { 'Content-Length': 0 } }),
    201,
    'complete upload',
  );
  const seconds = (performance.now() - started) / 1000;
  const echoed = done.headers['docker-content-digest'];
  if (echoed !== blob.digest) throw new BenchError(`complete upload: registry answered digest ${String(echoed)}, not ${blob.digest}`);
  return seconds;
}

/** The views of `chunks` cut into consecutive pieces of at most `size` bytes each. */
function* piecesOf(chunks: Iterable<Uint8Array>, size: number): Generator<Uint8Array[]> {
  let piece: Uint8Array[] = [];
  let length = 0;
  for (let chunk of chunks) {
    while (chunk.byteLength > 0) {
      const take = Math.min(size - length, chunk.byteLength);
      piece.push(chunk.subarray(0, take));
      length += take;
      chunk = chunk.subarray(take);
      if (length === size) {
        yield piece;
        piece = [];
        length = 0;
      }
    }
  }
  if (length > 0) yield piece;
}

/**
 * Pushes a blob in chunks as docker's chunked uploads and skopeo do: POST a session, one
 * PATCH per `chunkBytes` with `Content-Range`, each to the Location the previous answer
 * gave, then the closing PUT with the digest. Returns the seconds from the POST to the 201.
 */
export async function pushChunkedBlob(
  client: BenchClient,
  repository: string,
  pattern: BlobPattern,
  blob: { nonce: Buffer; size: number; digest: string },
  chunkBytes: number,
): Promise<number> {
  const started = performance.now();
  let next = location(expect(await client.send('POST', `/v2/${repository}/blobs/uploads/`, { headers: { 'Content-Length': 0 } }), 202, 'start upload'), 'start upload');
  let offset = 0;
  for (const piece of piecesOf(pattern.chunks(blob.nonce, blob.size), chunkBytes)) {
    const length = piece.reduce((sum, view) => sum + view.byteLength, 0);
    const answer = expect(
      await client.send('PATCH', next, {
        headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': length, 'Content-Range': `${offset}-${offset + length - 1}` },
        body: streamChunks(piece),
      }),
      202,
      `upload chunk at ${offset}`,
    );
    next = location(answer, 'upload chunk');
    offset += length;
  }
  const done = expect(await client.send('PUT', withDigest(client, next, blob.digest), { headers: { 'Content-Length': 0 } }), 201, 'complete upload');
  const seconds = (performance.now() - started) / 1000;
  if (done.headers['docker-content-digest'] !== blob.digest) throw new BenchError(`complete upload: registry answered digest ${String(done.headers['docker-content-digest'])}, not ${blob.digest}`);
  return seconds;
}

/** GETs a blob, verifying size and sha256 while it streams; returns the seconds it took. */
export async function pullBlob(client: BenchClient, repository: string, blob: { size: number; digest: string }): Promise<number> {
  const started = performance.now();
  const download = await client.download(`/v2/${repository}/blobs/${blob.digest}`);
  const seconds = (performance.now() - started) / 1000;
  if (download.status !== 200) throw new BenchError(`pull blob: expected 200, got ${download.status}`);
  if (download.bytes !== blob.size) throw new BenchError(`pull blob: read ${download.bytes} bytes, expected ${blob.size}`);
  if (download.digest !== blob.digest) throw new BenchError(`pull blob: content hashes to ${download.digest}, not ${blob.digest}`);
  return seconds;
}

/** A small whole blob (a config, a tiny layer): POST, then PUT with the body and digest. */
export async function pushSmallBlob(client: BenchClient, repository: string, blob: TestBlob): Promise<void> {
  const session = expect(await client.send('POST', `/v2/${repository}/blobs/uploads/`, { headers: { 'Content-Length': 0 } }), 202, 'start upload');
  expect(
    await client.send('PUT', withDigest(client, location(session, 'start upload'), blob.digest), {
      headers: { 'Content-Type': 'application/octet-stream', 'Content-Length': blob.size },
      body: blob.bytes,
    }),
    201,
    'push small blob',
  );
}

export async function deleteBlob(client: BenchClient, repository: string, digest: string): Promise<void> {
  await client.send('DELETE', `/v2/${repository}/blobs/${digest}`, { headers: { 'Content-Length': 0 } });
}

/** `count` distinct OCI image manifests over one config and one layer (told apart by an annotation). */
export function smallManifests(config: TestBlob, layer: TestBlob, label: string, count: number): TestBlob[] {
  return Array.from({ length: count }, (_, i) =>
    blobOf(
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          config: { mediaType: config.mediaType, digest: config.digest, size: config.size },
          layers: [{ mediaType: layer.mediaType, digest: layer.digest, size: layer.size }],
          annotations: { 'org.opencontainers.image.ref.name': `${label}-${i}`, 'io.wharf.bench.run': label },
        }),
      ),
      'application/vnd.oci.image.manifest.v1+json',
    ),
  );
}

export interface ManifestRun {
  seconds: number;
  /** Per-request latencies in milliseconds, sorted. */
  latencies: number[];
}

/** PUTs one manifest by `reference` (a tag); checks the 201 and the digest the registry answers. */
export async function putManifest(client: BenchClient, repository: string, reference: string, manifest: TestBlob): Promise<void> {
  const answer = await client.send('PUT', `/v2/${repository}/manifests/${reference}`, {
    headers: { 'Content-Type': manifest.mediaType, 'Content-Length': manifest.size },
    body: manifest.bytes,
  });
  expect(answer, 201, `put manifest ${reference}`);
  if (answer.headers['docker-content-digest'] !== manifest.digest) {
    throw new BenchError(`put manifest ${reference}: registry answered digest ${String(answer.headers['docker-content-digest'])}, not ${manifest.digest}`);
  }
}

/** PUTs every manifest by tag with `concurrency` requests in flight; times the whole batch. */
export async function pushManifests(client: BenchClient, repository: string, manifests: TestBlob[], concurrency: number): Promise<ManifestRun> {
  let next = 0;
  const latencies: number[] = [];
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next;
      next += 1;
      if (i >= manifests.length) return;
      const started = performance.now();
      await putManifest(client, repository, `m-${i}`, manifests[i]!);
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: Math.min(concurrency, manifests.length) }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  return { seconds, latencies };
}

export { MANIFEST_ACCEPT } from '../../packages/oci/dist/index.js';

export interface ReadRun {
  requests: number;
  seconds: number;
  /** Per-request latencies in milliseconds, sorted. */
  latencies: number[];
}

/**
 * GETs `path` over and over from `connections` workers (each one request in flight, so the
 * client's keep-alive agent holds that many connections) until `seconds` have passed.
 * Every answer must be 200 with exactly `expected` as its body (when given) or
 * `expectedSize` bytes; the first that is not stops the run.
 */
export async function getRepeatedly(
  client: BenchClient,
  path: string,
  options: { connections: number; seconds: number; headers?: Record<string, string>; expected?: Buffer; expectedSize?: number },
): Promise<ReadRun> {
  const latencies: number[] = [];
  const headers = options.headers ?? {};
  const started = performance.now();
  const deadline = started + options.seconds * 1000;
  let failure: Error | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && performance.now() < deadline) {
      const sent = performance.now();
      const answer = await client.send('GET', path, { headers });
      latencies.push(performance.now() - sent);
      if (answer.status !== 200) {
        failure = new BenchError(`GET ${path}: expected 200, got ${answer.status}: ${answer.body.toString('utf8').slice(0, 300)}`);
      } else if (options.expected !== undefined ? !answer.body.equals(options.expected) : options.expectedSize !== undefined && answer.body.byteLength !== options.expectedSize) {
        failure = new BenchError(`GET ${path}: the body (${answer.body.byteLength} bytes) is not the one expected`);
      }
    }
  };
  await Promise.all(Array.from({ length: options.connections }, () => worker()));
  const seconds = (performance.now() - started) / 1000;
  if (failure) throw failure;
  latencies.sort((a, b) => a - b);
  return { requests: latencies.length, seconds, latencies };
}
