import { randomUUID } from 'node:crypto';
import { mkdir, open, readdir, readFile, rename, rm, stat, type FileHandle } from 'node:fs/promises';
import { dirname, resolve, sep } from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { FileRangePipe } from '@wharf/http-kit';
import {
  InvalidOffsetError,
  InvalidPathError,
  PathNotFoundError,
  type DirectReadable,
  type FileInfo,
  type FileWriter,
  type StorageDriver,
} from '../../storage-driver.js';

export interface FilesystemDriverOptions {
  root: string;
}

const READ_CHUNK = 1024 * 1024;
const WRITE_BATCH = 1024 * 1024;

function isNotFound(error: unknown): boolean {
  const code = (error as { code?: string }).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/** Stores everything under one directory; the layout is `paths.ts`'s. */
export class FilesystemDriver implements StorageDriver {
  readonly name = 'filesystem';
  readonly #root: string;
  /** Read buffers shared by the readers' `pipeInto`, reused from one read to the next. */
  readonly #files = new FileRangePipe();

  constructor(deps: FilesystemDriverOptions) {
    this.#root = resolve(deps.root);
  }

  #full(path: string): string {
    const full = resolve(this.#root, `.${path}`);
    if (full !== this.#root && !full.startsWith(this.#root + sep)) throw new InvalidPathError(path);
    return full;
  }

  async stat(path: string): Promise<FileInfo> {
    try {
      const info = await stat(this.#full(path));
      return { path, size: info.size, modTime: info.mtime, isDir: info.isDirectory() };
    } catch (error) {
      if (isNotFound(error)) throw new PathNotFoundError(path);
      throw error;
    }
  }

  async getContent(path: string): Promise<Buffer> {
    try {
      return await readFile(this.#full(path));
    } catch (error) {
      if (isNotFound(error)) throw new PathNotFoundError(path);
      throw error;
    }
  }

  async putContent(path: string, content: Uint8Array): Promise<void> {
    const full = this.#full(path);
    await mkdir(dirname(full), { recursive: true });
    const temporary = `${full}.tmp-${randomUUID()}`;
    const handle = await open(temporary, 'w');
    try {
      await handle.writeFile(content);
      await handle.sync();
    } finally {
      await handle.close();
    }
    try {
      await rename(temporary, full);
    } catch (error) {
      await rm(temporary, { force: true });
      throw error;
    }
  }

  async reader(path: string, range: { offset?: number; length?: number } = {}): Promise<Readable> {
    const { size } = await this.stat(path);
    const offset = range.offset ?? 0;
    if (offset < 0 || offset > size) throw new InvalidOffsetError(path, offset);
    const length = Math.min(range.length ?? size - offset, size - offset);
    if (length <= 0) return Readable.from([]);
    return new FileRangeReadable(this.#full(path), offset, length, this.#files);
  }

  async writer(path: string, options: { append?: boolean } = {}): Promise<FileWriter> {
    const full = this.#full(path);
    await mkdir(dirname(full), { recursive: true });
    const handle = await open(full, options.append ? 'a' : 'w');
    const size = options.append ? (await handle.stat()).size : 0;
    return new FilesystemWriter(handle, full, size);
  }

  async list(path: string): Promise<string[]> {
    try {
      const entries = await readdir(this.#full(path));
      const prefix = path === '/' ? '' : path;
      return entries.map((entry) => `${prefix}/${entry}`);
    } catch (error) {
      if (isNotFound(error)) throw new PathNotFoundError(path);
      throw error;
    }
  }

  async move(source: string, destination: string): Promise<void> {
    const to = this.#full(destination);
    await mkdir(dirname(to), { recursive: true });
    try {
      await rename(this.#full(source), to);
    } catch (error) {
      if (isNotFound(error)) throw new PathNotFoundError(source);
      throw error;
    }
  }

  async delete(path: string): Promise<void> {
    const full = this.#full(path);
    try {
      await stat(full);
    } catch (error) {
      if (isNotFound(error)) throw new PathNotFoundError(path);
      throw error;
    }
    await rm(full, { recursive: true, force: true });
  }
}

class FilesystemWriter implements FileWriter {
  readonly #handle: FileHandle;
  readonly #path: string;
  #size: number;
  #closed = false;

  constructor(handle: FileHandle, path: string, size: number) {
    this.#handle = handle;
    this.#path = path;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  /**
   * Appends in batches of up to WRITE_BATCH bytes with one write in flight, so that the
   * next batch is read from the network while the previous one goes to disk. When the
   * source fails, what it delivered before failing is still written.
   */
  async write(source: AsyncIterable<Uint8Array>): Promise<number> {
    let appended = 0;
    let batch: Uint8Array[] = [];
    let batchBytes = 0;
    let inflight: Promise<number> | undefined;
    const settle = async (): Promise<void> => {
      if (!inflight) return;
      const written = await inflight;
      inflight = undefined;
      appended += written;
      this.#size += written;
    };
    const flush = (): void => {
      const buffers = batch;
      batch = [];
      batchBytes = 0;
      inflight = writeAll(this.#handle, buffers);
      inflight.catch(() => undefined);
    };
    try {
      for await (const chunk of source) {
        if (chunk.byteLength === 0) continue;
        batch.push(chunk);
        batchBytes += chunk.byteLength;
        if (batchBytes >= WRITE_BATCH) {
          await settle();
          flush();
        }
      }
      await settle();
      if (batchBytes > 0) {
        flush();
        await settle();
      }
      return appended;
    } catch (error) {
      // Everything received before the failure is kept (a client resumes from it); the file
      // itself says how much that is.
      const pending = inflight;
      await pending?.catch(() => undefined);
      if (batch.length > 0) await writeAll(this.#handle, batch).catch(() => undefined);
      this.#size = (await this.#handle.stat()).size;
      throw error;
    }
  }

  async commit(): Promise<void> {
    if (this.#closed) return;
    await this.#handle.sync();
    await this.close();
  }

  async cancel(): Promise<void> {
    await this.close();
    await rm(this.#path, { force: true });
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#handle.close();
  }
}

/**
 * A byte range of a file. Read as a stream it allocates a buffer per chunk like any file
 * stream; `pipeInto` instead cycles two buffers, refilling one only once the destination
 * has taken its previous content, so serving a blob makes no garbage and no page faults.
 */
class FileRangeReadable extends Readable implements DirectReadable {
  readonly #path: string;
  readonly #end: number;
  #position: number;
  #handle: Promise<FileHandle> | undefined;
  readonly #files: FileRangePipe;

  constructor(path: string, offset: number, length: number, files: FileRangePipe) {
    super({ highWaterMark: READ_CHUNK });
    this.#path = path;
    this.#files = files;
    this.#position = offset;
    this.#end = offset + length;
  }

  /** Reads the next part of the range into `buffer`; null at the end. */
  async #next(buffer: Buffer): Promise<Buffer | null> {
    const length = Math.min(buffer.byteLength, this.#end - this.#position);
    if (length <= 0) return null;
    this.#handle ??= open(this.#path, 'r');
    const { bytesRead } = await (await this.#handle).read(buffer, 0, length, this.#position);
    if (bytesRead === 0) throw new Error(`${this.#path} ended ${this.#end - this.#position} bytes early`);
    this.#position += bytesRead;
    return buffer.subarray(0, bytesRead);
  }

  override _read(): void {
    this.#next(Buffer.allocUnsafeSlow(READ_CHUNK)).then(
      (chunk) => this.push(chunk),
      (error: Error) => this.destroy(error),
    );
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    const handle = this.#handle;
    this.#handle = undefined;
    if (!handle) return callback(error);
    handle.then((h) => h.close()).then(
      () => callback(error),
      (closeError: Error) => callback(error ?? closeError),
    );
  }

  async pipeInto(destination: Writable): Promise<void> {
    try {
      await this.#files.pipe(this.#path, { offset: this.#position, length: this.#end - this.#position }, destination);
    } finally {
      this.destroy();
    }
  }
}

export function createFilesystemDriver(options: FilesystemDriverOptions): StorageDriver {
  return new FilesystemDriver(options);
}


/** Writes every buffer, continuing after short writes. */
async function writeAll(handle: FileHandle, buffers: Uint8Array[]): Promise<number> {
  let total = 0;
  for (const buffer of buffers) total += buffer.byteLength;
  let remaining = buffers;
  let written = 0;
  while (written < total) {
    const { bytesWritten } = await handle.writev(remaining);
    written += bytesWritten;
    if (written < total) remaining = skip(remaining, bytesWritten);
  }
  return total;
}

function skip(buffers: Uint8Array[], bytes: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  let left = bytes;
  for (const buffer of buffers) {
    if (left >= buffer.byteLength) {
      left -= buffer.byteLength;
      continue;
    }
    out.push(left > 0 ? buffer.subarray(left) : buffer);
    left = 0;
  }
  return out;
}
