import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { createLogger } from '@wharf/logging';
import { describe, expect, it } from 'vitest';
import type { ArtifactSink, ArtifactSource, RegistryAdapter, UploadSession } from '../adapters/registry-adapter.js';
import { BlobCopier, type BlobCopyContext } from './blob-copier.js';
import { unlimited } from './speed-limiter.js';
import { createMountHints, createUploadSessionStore } from './upload-sessions.js';

const logger = createLogger({ service: 'test', level: 'error' });
const blob = randomBytes(300_000);
const digest = `sha256:${createHash('sha256').update(blob).digest('hex')}`;
const descriptor = { mediaType: 'application/octet-stream', digest, size: blob.byteLength };

/** A destination port holding uploads in memory; `failAfter` breaks the next PATCH after that many bytes. */
function fakeDestination(options: { forgetsUploads?: boolean } = {}) {
  const uploads = new Map<string, Buffer>();
  const blobs = new Map<string, Buffer>();
  const calls: string[] = [];
  let failAfter: number | undefined;
  let next = 0;
  const sink: RegistryAdapter & ArtifactSink = {
    registry: { type: 'fake', url: 'http://dst' },
    info: async () => ({}) as never,
    healthCheck: async () => 'healthy',
    prepareForPush: async () => undefined,
    headManifest: async () => undefined,
    blobExists: async (_repo, d) => blobs.has(d),
    startUpload: async () => {
      const location = `http://dst/upload/${next++}`;
      uploads.set(location, Buffer.alloc(0));
      calls.push('start');
      return { location, offset: 0 };
    },
    uploadStatus: async (_repo, location) => {
      calls.push('status');
      if (options.forgetsUploads) return undefined;
      const held = uploads.get(location);
      return held ? { location, offset: held.byteLength } : undefined;
    },
    appendUpload: async (_repo, session: UploadSession, body, { length }) => {
      calls.push(`patch@${session.offset}${length === undefined ? '' : `+${length}`}`);
      let held = uploads.get(session.location)!;
      if (held.byteLength !== session.offset) throw new Error('offset mismatch');
      for await (const piece of body) {
        held = Buffer.concat([held, piece]);
        uploads.set(session.location, held);
        if (failAfter !== undefined && held.byteLength >= failAfter) {
          failAfter = undefined;
          throw new Error('connection reset');
        }
      }
      return { location: session.location, offset: held.byteLength };
    },
    completeUpload: async (_repo, session, d) => {
      const held = uploads.get(session.location)!;
      if (`sha256:${createHash('sha256').update(held).digest('hex')}` !== d) throw new Error('digest mismatch');
      blobs.set(d, held);
      calls.push('put');
    },
    cancelUpload: async () => undefined,
    pushManifest: async () => '',
    deleteManifest: async () => undefined,
    deleteTag: async () => undefined,
  };
  return { sink, blobs, calls, breakAfter: (bytes: number) => (failAfter = bytes) };
}

function fakeSource(): RegistryAdapter & ArtifactSource & { offsets: number[] } {
  const offsets: number[] = [];
  return {
    offsets,
    registry: { type: 'fake', url: 'http://src' },
    info: async () => ({}) as never,
    healthCheck: async () => 'healthy',
    prepareForPush: async () => undefined,
    fetchArtifacts: async () => [],
    listTags: async () => [],
    headManifest: async () => undefined,
    pullManifest: async () => ({}) as never,
    pullBlob: async (_repo, _digest, options = {}) => {
      const offset = options.offset ?? 0;
      offsets.push(offset);
      const rest = blob.subarray(offset);
      const pieces = Array.from({ length: Math.ceil(rest.byteLength / 16_384) }, (_, i) => rest.subarray(i * 16_384, (i + 1) * 16_384));
      return { size: blob.byteLength, offset, body: Readable.from(pieces) };
    },
  };
}

function setup(options: { forgetsUploads?: boolean; copyByChunk?: boolean } = {}) {
  const destination = fakeDestination(options);
  const source = fakeSource();
  const copier = new BlobCopier({
    logger,
    policy: { retries: 3, backoffMs: 1, maxBackoffMs: 5, chunkSize: 100_000 },
    sessions: createUploadSessionStore(),
    mounts: createMountHints(),
    sleep: async () => undefined,
  });
  let sent = 0;
  const ctx: BlobCopyContext = {
    source: { adapter: source, repository: 'a', registryKey: 'http://src' },
    destination: { adapter: destination.sink, repository: 'b', registryKey: 'http://dst' },
    copyByChunk: options.copyByChunk ?? false,
    limiter: unlimited,
    signal: new AbortController().signal,
    onBytes: (n) => (sent += n),
    onSpared: () => undefined,
  };
  return { destination, source, copier, ctx, sent: () => sent };
}

describe('BlobCopier resume', () => {
  it('continues a broken streamed upload from the offset the destination holds', async () => {
    const { destination, source, copier, ctx, sent } = setup();
    destination.breakAfter(120_000);
    expect(await copier.copy(descriptor, ctx)).toBe('copied');
    expect(destination.blobs.get(digest)?.equals(blob)).toBe(true);
    expect(source.offsets[0]).toBe(0);
    expect(source.offsets[1]).toBeGreaterThanOrEqual(120_000);
    expect(destination.calls.filter((c) => c === 'start')).toHaveLength(1);
    expect(sent()).toBeLessThan(blob.byteLength + 20_000);
  });

  it('sends chunks with lengths and resumes at the chunk the destination reports', async () => {
    const { destination, source, copier, ctx } = setup({ copyByChunk: true });
    destination.breakAfter(150_000);
    expect(await copier.copy(descriptor, ctx)).toBe('copied');
    expect(destination.blobs.get(digest)?.equals(blob)).toBe(true);
    expect(destination.calls).toContain('patch@0+100000');
    expect(source.offsets[1]).toBeGreaterThanOrEqual(100_000);
  });

  it('starts over when the destination no longer knows the upload', async () => {
    const { destination, source, copier, ctx } = setup({ forgetsUploads: true });
    destination.breakAfter(120_000);
    expect(await copier.copy(descriptor, ctx)).toBe('copied');
    expect(source.offsets).toEqual([0, 0]);
    expect(destination.calls.filter((c) => c === 'start')).toHaveLength(2);
  });

  it('does nothing for a blob the destination has', async () => {
    const { destination, source, copier, ctx } = setup();
    destination.blobs.set(digest, blob);
    expect(await copier.copy(descriptor, ctx)).toBe('existing');
    expect(source.offsets).toEqual([]);
  });

  it('ends a streamed upload gracefully on abort, keeping what was sent for the next attempt', async () => {
    const { destination, source, copier, ctx } = setup();
    const controller = new AbortController();
    let seen = 0;
    await expect(
      copier.copy(descriptor, {
        ...ctx,
        signal: controller.signal,
        onBytes: (n) => {
          seen += n;
          if (seen >= 64_000) controller.abort(new Error('hung up'));
        },
      }),
    ).rejects.toThrow('copy aborted');
    expect(destination.calls).toEqual(['start', 'patch@0']);
    expect(await copier.copy(descriptor, ctx)).toBe('copied');
    expect(source.offsets[1]).toBeGreaterThanOrEqual(64_000);
    expect(destination.blobs.get(digest)?.equals(blob)).toBe(true);
  });

  it('copies a blob once when two copies want it in the same registry at once: the second waits and finds it', async () => {
    const { destination, source, copier, ctx } = setup();
    const other = { ...ctx, destination: { ...ctx.destination, repository: 'c' } };
    const outcomes = await Promise.all([copier.copy(descriptor, ctx), copier.copy(descriptor, other)]);
    expect(outcomes.sort()).toEqual(['copied', 'existing']);
    expect(source.offsets).toEqual([0]);
    expect(destination.calls.filter((c) => c === 'start')).toHaveLength(1);
    expect(copier.busy('http://dst', digest)).toBe(false);
  });

  it('lets a copy waiting for another one of the same blob be aborted', async () => {
    const { copier, ctx } = setup();
    const controller = new AbortController();
    const first = copier.copy(descriptor, ctx);
    expect(copier.busy('http://dst', digest)).toBe(true);
    const waiting = copier.copy(descriptor, { ...ctx, destination: { ...ctx.destination, repository: 'c' }, signal: controller.signal });
    controller.abort(new Error('stopped'));
    await expect(waiting).rejects.toThrow('copy aborted');
    expect(await first).toBe('copied');
  });
});
