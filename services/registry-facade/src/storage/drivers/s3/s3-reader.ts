import { Readable } from 'node:stream';
import type { ByteRange, S3Objects, StoredObject } from './s3-objects.js';

/** Which bytes of which part a read of `[offset, offset + length)` over consecutive parts needs. */
export function partRanges(parts: readonly StoredObject[], offset: number, length: number): { part: StoredObject; range: ByteRange }[] {
  const out: { part: StoredObject; range: ByteRange }[] = [];
  const end = offset + length; // exclusive
  let partStart = 0;
  for (const part of parts) {
    const partEnd = partStart + part.size;
    const start = Math.max(offset, partStart);
    const stop = Math.min(end, partEnd);
    if (stop > start) out.push({ part, range: { start: start - partStart, end: stop - partStart - 1 } });
    partStart = partEnd;
    if (partStart >= end) break;
  }
  return out;
}

/**
 * Yields exactly `length` bytes of `body`: fewer is an error (the object changed or the
 * connection broke), more are cut off (a store that ignores part of a Range header).
 */
async function* exactly(body: Readable, length: number, key: string): AsyncGenerator<Buffer> {
  let left = length;
  for await (const chunk of body as AsyncIterable<Buffer>) {
    if (chunk.byteLength >= left) {
      if (left > 0) yield chunk.subarray(0, left);
      left = 0;
      break;
    }
    left -= chunk.byteLength;
    yield chunk;
  }
  body.destroy();
  if (left > 0) throw new Error(`object ${key} ended ${left} bytes early`);
}

/** One ranged GET as a stream of exactly the bytes asked for. */
export function exactStream(body: Readable, length: number, key: string): Readable {
  return Readable.from(exactly(body, length, key), { objectMode: false });
}

/**
 * Streams `length` bytes from `offset` of the file made of `parts` in order, one ranged
 * GET per part touched, each opened only when the previous one is consumed.
 */
export function readParts(objects: S3Objects, parts: readonly StoredObject[], offset: number, length: number): Readable {
  const ranges = partRanges(parts, offset, length);
  async function* generate(): AsyncGenerator<Buffer> {
    for (const { part, range } of ranges) {
      const whole = range.start === 0 && range.end === part.size - 1;
      const got = await objects.get(part.key, whole ? undefined : range);
      if (!got) throw new Error(`object ${part.key} disappeared while being read`);
      yield* exactly(got.body, range.end - range.start + 1, part.key);
    }
  }
  return Readable.from(generate(), { objectMode: false });
}
