import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const CHUNK = 1024 * 1024;

function writeChunk(destination: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

/**
 * Writes `length` bytes of the file at `path` from `offset` into `destination`, then ends it.
 * Two buffers are cycled, one refilled only once the destination has taken its previous
 * content, so serving a large file makes no garbage per chunk. A destination closed early
 * (the client went away) rejects with `ERR_STREAM_PREMATURE_CLOSE`; a file shorter than the
 * range rejects too. The file is opened before anything is written, so a missing file
 * rejects with its `ENOENT` while the destination is still untouched. Given an open handle
 * instead of a path, it takes it over and closes it at the end.
 */
export async function pipeFileRange(file: string | FileHandle, range: { offset: number; length: number }, destination: Writable): Promise<void> {
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  const path = typeof file === 'string' ? file : `file descriptor ${file.fd}`;
  const buffers = [Buffer.allocUnsafeSlow(CHUNK), Buffer.allocUnsafeSlow(CHUNK)];
  const written: Promise<void>[] = buffers.map(() => Promise.resolve());
  const closedEarly = new Promise<never>((_, reject) => {
    destination.once('close', () => reject(Object.assign(new Error('destination closed'), { code: 'ERR_STREAM_PREMATURE_CLOSE' })));
  });
  closedEarly.catch(() => undefined);
  let position = range.offset;
  const end = range.offset + range.length;
  try {
    for (let i = 0; position < end; i = (i + 1) % buffers.length) {
      await Promise.race([written[i], closedEarly]); // the buffer is free once the destination took its last content
      const buffer = buffers[i]!;
      const { bytesRead } = await handle.read(buffer, 0, Math.min(buffer.byteLength, end - position), position);
      if (bytesRead === 0) throw new Error(`${path} ended ${end - position} bytes early`);
      position += bytesRead;
      const pending = writeChunk(destination, buffer.subarray(0, bytesRead));
      pending.catch(() => undefined);
      written[i] = pending;
    }
    await Promise.race([Promise.all(written), closedEarly]);
    destination.end();
    await finished(destination);
  } finally {
    await handle.close();
  }
}
