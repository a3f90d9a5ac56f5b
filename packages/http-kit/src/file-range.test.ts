import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileRangePipe, pipeFileRange } from './file-range.js';

/** A destination that keeps a copy of everything written to it (the buffers themselves are reused). */
function collector(): { destination: Writable; bytes: () => Buffer } {
  const parts: Buffer[] = [];
  const destination = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      parts.push(Buffer.from(chunk));
      setImmediate(callback);
    },
  });
  return { destination, bytes: () => Buffer.concat(parts) };
}

describe('file ranges', () => {
  let dir: string;
  let path: string;
  const content = randomBytes(5 * 1024 + 123);

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'wharf-file-range-'));
    path = join(dir, 'data');
    await writeFile(path, content);
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  it('sends the exact range, whole files and parts alike, reusing its buffers from one send to the next', async () => {
    const files = new FileRangePipe({ chunkBytes: 1000, maxIdlePairs: 1 });
    for (const range of [
      { offset: 0, length: content.length },
      { offset: 17, length: 2500 },
      { offset: content.length - 1, length: 1 },
      { offset: 3000, length: 0 },
    ]) {
      const { destination, bytes } = collector();
      await files.pipe(path, range, destination);
      expect(bytes().equals(content.subarray(range.offset, range.offset + range.length))).toBe(true);
    }
  });

  it('rejects a range beyond the end of the file, and a destination closed early', async () => {
    const files = new FileRangePipe({ chunkBytes: 1000 });
    await expect(files.pipe(path, { offset: 10, length: content.length }, collector().destination)).rejects.toThrow(/ended/);
    const destination = new PassThrough({ highWaterMark: 1 });
    setTimeout(() => destination.destroy(), 10);
    await expect(files.pipe(path, { offset: 0, length: content.length }, destination)).rejects.toMatchObject({ code: 'ERR_STREAM_PREMATURE_CLOSE' });
    // A send after failed ones still delivers the right bytes.
    const { destination: next, bytes } = collector();
    await files.pipe(path, { offset: 5, length: 4000 }, next);
    expect(bytes().equals(content.subarray(5, 4005))).toBe(true);
  });

  it('sends a range with buffers of its own through pipeFileRange', async () => {
    const { destination, bytes } = collector();
    await pipeFileRange(path, { offset: 100, length: 200 }, destination);
    expect(bytes().equals(content.subarray(100, 300))).toBe(true);
  });
});
