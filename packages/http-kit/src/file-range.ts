import { open, type FileHandle } from 'node:fs/promises';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';

const CHUNK = 1024 * 1024;

function writeChunk(destination: Writable, chunk: Buffer): Promise<void> {
  return new Promise((resolve, reject) => {
    destination.write(chunk, (error) => (error ? reject(error) : resolve()));
  });
}

export interface FileRangePipeOptions {
  /** Size of each read buffer (1 MiB). */
  chunkBytes?: number;
  /** Buffer pairs kept for the next sends once a send is done (8, i.e. 16 MiB with 1 MiB buffers). */
  maxIdlePairs?: number;
}

/**
 * Sends byte ranges of files into writable destinations (sockets, responses), reusing its
 * read buffers from one send to the next. A pair is taken for a send and given back only
 * once the destination has taken everything written from it; a send that fails drops its
 * pair. Reusing them matters as much as cycling them within a send: buffers allocated per
 * download (2 MiB each) are external memory that V8 only reclaims with a full collection,
 * which a busy server then runs every few dozen downloads.
 */
export class FileRangePipe {
  readonly #chunkBytes: number;
  readonly #maxIdlePairs: number;
  readonly #idle: Buffer[][] = [];

  constructor(options: FileRangePipeOptions = {}) {
    this.#chunkBytes = options.chunkBytes ?? CHUNK;
    this.#maxIdlePairs = options.maxIdlePairs ?? 8;
  }

  /** See `pipeFileRange`. */
  async pipe(file: string | FileHandle, range: { offset: number; length: number }, destination: Writable): Promise<void> {
    const buffers = this.#idle.pop() ?? [Buffer.allocUnsafeSlow(this.#chunkBytes), Buffer.allocUnsafeSlow(this.#chunkBytes)];
    await sendRange(file, range, destination, buffers);
    // Only a send that completed gives its buffers back: every write from them has been taken.
    if (this.#idle.length < this.#maxIdlePairs) this.#idle.push(buffers);
  }
}

/**
 * Writes `length` bytes of the file at `path` from `offset` into `destination`, then ends it.
 * Two buffers are cycled, one refilled only once the destination has taken its previous
 * content, so serving a large file makes no garbage per chunk. A destination closed early
 * (the client went away) rejects with `ERR_STREAM_PREMATURE_CLOSE`; a file shorter than the
 * range rejects too. The file is opened before anything is written, so a missing file
 * rejects with its `ENOENT` while the destination is still untouched. Given an open handle
 * instead of a path, it takes it over and closes it at the end. A server sending many files
 * uses a `FileRangePipe`, which also reuses the buffers across sends.
 */
export async function pipeFileRange(file: string | FileHandle, range: { offset: number; length: number }, destination: Writable): Promise<void> {
  const size = Math.max(1, Math.min(CHUNK, range.length));
  await sendRange(file, range, destination, [Buffer.allocUnsafeSlow(size), Buffer.allocUnsafeSlow(size)]);
}

async function sendRange(file: string | FileHandle, range: { offset: number; length: number }, destination: Writable, buffers: Buffer[]): Promise<void> {
  const handle = typeof file === 'string' ? await open(file, 'r') : file;
  const path = typeof file === 'string' ? file : `file descriptor ${file.fd}`;
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
