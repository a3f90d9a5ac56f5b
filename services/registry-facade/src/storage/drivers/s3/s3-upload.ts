import {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  UploadPartCommand,
  type CompletedPart,
} from '@aws-sdk/client-s3';
import type { S3Objects } from './s3-objects.js';

export const MiB = 1024 * 1024;
/** The smallest part S3 accepts, but for the last one. */
export const MIN_PART_SIZE = 5 * MiB;
export const DEFAULT_PART_SIZE = 8 * MiB;
export const MAX_PARTS = 10_000;

/**
 * The bytes of one part, in one buffer reused from part to part: it grows (doubling) up to
 * the part size as bytes arrive, so a small write never holds a whole part, and a large one
 * never holds more than one.
 */
class PartBuffer {
  readonly capacity: number;
  #buffer = Buffer.allocUnsafe(0);
  #length = 0;

  constructor(capacity: number) {
    this.capacity = capacity;
  }

  get length(): number {
    return this.#length;
  }

  get full(): boolean {
    return this.#length === this.capacity;
  }

  /** Copies as much of `chunk` as fits; returns the rest. */
  fill(chunk: Uint8Array): Uint8Array {
    const take = Math.min(chunk.byteLength, this.capacity - this.#length);
    const needed = this.#length + take;
    if (needed > this.#buffer.byteLength) {
      const grown = Buffer.allocUnsafe(Math.min(this.capacity, Math.max(needed, this.#buffer.byteLength * 2, 64 * 1024)));
      this.#buffer.copy(grown, 0, 0, this.#length);
      this.#buffer = grown;
    }
    this.#buffer.set(chunk.subarray(0, take), this.#length);
    this.#length = needed;
    return chunk.subarray(take);
  }

  /** The buffered bytes; valid until the next `fill` after `reset`. */
  view(): Buffer {
    return this.#buffer.subarray(0, this.#length);
  }

  reset(): void {
    this.#length = 0;
  }
}

export interface UploadOptions {
  partSize: number;
  /**
   * When the source fails: store what it delivered before failing (a resumable upload
   * segment) or store nothing (a copy, which must be whole or absent).
   */
  keepPartial: boolean;
}

export interface UploadResult {
  /** Bytes stored in the object (0 and no object when the source delivered nothing). */
  bytes: number;
  /** Set when the source failed; with `keepPartial` its bytes up to then are stored. */
  sourceError?: { error: unknown };
}

/**
 * Streams `source` into the object `key`: one PutObject when it all fits in a part,
 * otherwise a multipart upload of `partSize` parts sent one at a time (the source is not
 * read while a part is in flight). The object appears only when complete. A failure of the
 * store aborts the multipart upload and is thrown; a failure of the source is returned in
 * `sourceError`, after storing or discarding what arrived, as `keepPartial` says.
 */
export async function uploadObject(objects: S3Objects, key: string, source: AsyncIterable<Uint8Array>, options: UploadOptions): Promise<UploadResult> {
  const buffer = new PartBuffer(options.partSize);
  const iterator = source[Symbol.asyncIterator]();
  const { client, bucket } = objects;
  let uploadId: string | undefined;
  const parts: CompletedPart[] = [];
  let uploaded = 0;
  let sourceError: { error: unknown } | undefined;

  const sendPart = async (): Promise<void> => {
    if (uploadId === undefined) {
      const created = await client.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: key }));
      if (!created.UploadId) throw new Error('the store returned no multipart upload id');
      uploadId = created.UploadId;
    }
    const PartNumber = parts.length + 1;
    if (PartNumber > MAX_PARTS) throw new Error(`a single write may not exceed ${MAX_PARTS} parts of ${options.partSize} bytes`);
    const body = buffer.view();
    const out = await client.send(
      new UploadPartCommand({ Bucket: bucket, Key: key, UploadId: uploadId, PartNumber, Body: body, ContentLength: body.byteLength }),
    );
    parts.push({ PartNumber, ETag: out.ETag });
    uploaded += body.byteLength;
    buffer.reset();
  };

  try {
    for (;;) {
      let next: IteratorResult<Uint8Array>;
      try {
        next = await iterator.next();
      } catch (error) {
        sourceError = { error };
        break;
      }
      if (next.done) break;
      let rest = next.value;
      while (rest.byteLength > 0) {
        rest = buffer.fill(rest);
        if (buffer.full) await sendPart();
      }
    }

    const storeNothing = sourceError !== undefined && (!options.keepPartial || uploaded + buffer.length === 0);
    if (uploadId === undefined) {
      if (storeNothing) return { bytes: 0, sourceError };
      const body = buffer.view();
      await objects.put(key, body);
      return sourceError ? { bytes: body.byteLength, sourceError } : { bytes: body.byteLength };
    }
    if (storeNothing) {
      await abort(objects, key, uploadId);
      return { bytes: 0, sourceError };
    }
    if (buffer.length > 0) await sendPart();
    await client.send(new CompleteMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId, MultipartUpload: { Parts: parts } }));
    return sourceError ? { bytes: uploaded, sourceError } : { bytes: uploaded };
  } catch (error) {
    if (uploadId !== undefined) await abort(objects, key, uploadId);
    if (!sourceError) await iterator.return?.().catch(() => undefined);
    throw error;
  }
}

/** Best effort: a store that cannot abort leaves the parts to its lifecycle rules. */
export async function abort(objects: S3Objects, key: string, uploadId: string): Promise<void> {
  await objects.client.send(new AbortMultipartUploadCommand({ Bucket: objects.bucket, Key: key, UploadId: uploadId })).catch(() => undefined);
}
